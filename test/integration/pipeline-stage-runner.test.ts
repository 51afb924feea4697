import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BusSender, ReceivedMessage } from '../../shared/bus/port';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { installClock, ManualClock } from '../../shared/clock';
import { STAGE_QUEUES, type StageMessage } from '../../shared/events/contract';
import { createEvent, loadEvent, updateEvent } from '../../shared/events/event-store';
import { sendToStage } from '../../shared/events/stage-messages';
import { loadStageRecord, loadTimeline } from '../../shared/events/timeline';
import { type StageResult, stageHandler } from '../../shared/pipeline/stage-runner';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { installLocalSettings } from '../support/local-settings';
import { eventually } from '../support/wait';

/**
 * The stage runner against Azurite: outcomes recorded on the timeline, next messages sent with
 * their ids and failure properties, redeliveries re-applying the recorded outcome without redoing
 * the work, transient failures retried 3 times through scheduled re-sends, permanent ones
 * dead-lettered at once.
 */
const connection = process.env.TEST_STORAGE_CONNECTION!;
const account = storageAccountFromConnectionString(connection);

beforeAll(() => {
  installLocalSettings();
});

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

/** A real emulated bus whose queue names carry a per-test prefix, so parallel test files never share a queue. */
function prefixedBus() {
  const prefix = `t${randomUUID().slice(0, 6)}-`;
  const real = new StorageQueueBus(account, { lockDurationSeconds: 5, maxHideSeconds: 1 });
  const sent: string[] = [];
  const bus: BusSender = {
    send: async (queue, body, options) => {
      await real.send(prefix + queue, body, options);
      sent.push(options.messageId);
    },
  };
  return { real, bus, sent, q: (queue: string) => prefix + queue };
}

async function newEvent(tenantId = `tn-${randomUUID().slice(0, 8)}`) {
  const { view } = await createEvent({
    tenantId,
    source: 'autotask',
    webhookId: 'wh1',
    integrationId: 'int1',
    trigger: 'vendor',
    replayOf: null,
    correlationId: 'corr-1',
    dedupKey: null,
    bodyText: '{"Id":1}',
  });
  return view;
}

function received(body: StageMessage, messageId: string, props: Record<string, string> = {}): ReceivedMessage {
  return {
    body,
    messageId,
    deliveryCount: 1,
    enqueuedTimeUtc: new Date(),
    correlationId: 'corr-1',
    applicationProperties: props,
  };
}

describe('stageHandler', () => {
  it('records the outcome, moves the event on and sends the next message with its id and failure properties; a redelivery does not redo the work', async () => {
    const { real, bus, q } = prefixedBus();
    const event = await newEvent();
    let calls = 0;
    const handler = stageHandler(
      'sop_matching',
      async (): Promise<StageResult> => {
        calls++;
        return { kind: 'next', messages: [{ stage: 'agent_dispatch', step: 'main' }], properties: { sopId: 'sop-1' } };
      },
      { bus: () => bus },
    );
    const message: StageMessage = {
      v: 1,
      tenantId: event.tenantId,
      eventId: event.id,
      stage: 'sop_matching',
      step: 'main',
      attempt: 0,
    };
    const delivery = received(message, `${event.id}:sop_matching:main:0`, { tool: 'x' });
    expect(await handler(delivery)).toEqual({ kind: 'complete' });
    expect(await handler({ ...delivery, deliveryCount: 2 })).toEqual({ kind: 'complete' });
    expect(calls).toBe(1);

    const sent = await real.peek(q(STAGE_QUEUES.agent_dispatch));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.messageId).toBe(`${event.id}:agent_dispatch:main:0`);
    expect(sent[0]!.correlationId).toBe('corr-1');
    expect(sent[0]!.body).toEqual({ ...message, stage: 'agent_dispatch' });
    expect(sent[0]!.applicationProperties).toMatchObject({
      tenantId: event.tenantId,
      eventId: event.id,
      stage: 'agent_dispatch',
      vendor: 'autotask',
      tool: 'x',
      sopId: 'sop-1',
    });
    const after = await loadEvent(event.tenantId, event.id);
    expect(after).toMatchObject({ status: 'processing', stage: 'agent_dispatch' });
    const timeline = await loadTimeline(event.tenantId, event.id);
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ stage: 'sop_matching', step: 'main', attempt: 0, outcome: 'succeeded' });
  });

  it('a done outcome sets the status the stage reports', async () => {
    const event = await newEvent();
    const handler = stageHandler('tool_call', async () => ({
      kind: 'done',
      status: 'succeeded',
      detail: 'note added',
    }));
    const message: StageMessage = {
      v: 1,
      tenantId: event.tenantId,
      eventId: event.id,
      stage: 'tool_call',
      step: 'run-1-0',
      attempt: 0,
    };
    expect(await handler(received(message, 'm'))).toEqual({ kind: 'complete' });
    expect(await loadEvent(event.tenantId, event.id)).toMatchObject({ status: 'succeeded', stage: 'tool_call' });
  });

  it('dead-letters a permanent failure at once with reason = error type, and keeps its properties on the timeline', async () => {
    const event = await newEvent();
    let calls = 0;
    const handler = stageHandler('sop_matching', async (): Promise<StageResult> => {
      calls++;
      return {
        kind: 'fail',
        errorType: 'no_sop_matched',
        message: 'No SOP matched',
        transient: false,
        properties: { closestSopId: 'sop-9', closestSopScore: 0.4 },
      };
    });
    const message: StageMessage = {
      v: 1,
      tenantId: event.tenantId,
      eventId: event.id,
      stage: 'sop_matching',
      step: 'main',
      attempt: 0,
    };
    const settlement = await handler(received(message, 'm'));
    expect(settlement).toEqual({ kind: 'deadLetter', reason: 'no_sop_matched', description: 'No SOP matched' });
    // A redelivery (crash before settling) dead-letters again without matching again.
    expect(await handler(received(message, 'm'))).toEqual(settlement);
    expect(calls).toBe(1);
    expect(await loadEvent(event.tenantId, event.id)).toMatchObject({ status: 'failed', stage: 'sop_matching' });
    const record = await loadStageRecord(event.tenantId, event.id, 'sop_matching', 'main', 0);
    expect(JSON.parse(record!.properties!)).toEqual({ closestSopId: 'sop-9', closestSopScore: 0.4 });
  });

  it('retries a transient failure 3 times through scheduled re-sends, then dead-letters it with its properties', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const { real, bus, q, sent } = prefixedBus();
    const event = await newEvent();
    const attempts: number[] = [];
    const handler = stageHandler(
      'tool_call',
      async ({ message }): Promise<StageResult> => {
        attempts.push(message.attempt);
        return {
          kind: 'fail',
          errorType: 'vendor_unavailable',
          message: 'Autotask answered 503',
          transient: true,
          properties: { vendorStatus: 503 },
        };
      },
      { bus: () => bus, policy: { baseMs: 1000, maxMs: 4000, maxRetries: 3 } },
    );
    const queue = q(STAGE_QUEUES.tool_call);
    const consumer = real.startConsumer(queue, handler, { pollIntervalMs: 50, maxPollIntervalMs: 100 });
    try {
      await sendToStage(
        bus,
        event.tenantId,
        event.id,
        { stage: 'tool_call', step: 'run-r1-0', agentRunId: 'r1', stepIndex: 0 },
        { tool: 'autotask.add_ticket_note' },
      );
      for (let n = 1; n <= 3; n++) {
        // The retry is scheduled once sent; then the clock passes any backoff of this policy.
        await eventually(() => sent.includes(`${event.id}:tool_call:run-r1-0:${n}`));
        clock.advance(4_001);
      }
      const letter = await eventually(async () => (await real.peekDeadLetters(queue))[0]);
      expect(letter.deadLetterReason).toBe('vendor_unavailable');
      expect(letter.deadLetterErrorDescription).toBe('Autotask answered 503 (gave up after 4 attempts)');
      expect(letter.messageId).toBe(`${event.id}:tool_call:run-r1-0:3`);
      expect(letter.applicationProperties).toMatchObject({
        tenantId: event.tenantId,
        eventId: event.id,
        stage: 'tool_call',
        tool: 'autotask.add_ticket_note',
        vendor: 'autotask',
        vendorStatus: 503,
      });
    } finally {
      await consumer.stop();
    }
    expect(attempts).toEqual([0, 1, 2, 3]);
    expect(await loadEvent(event.tenantId, event.id)).toMatchObject({ status: 'failed', stage: 'tool_call' });
    const timeline = await loadTimeline(event.tenantId, event.id);
    expect(timeline.map((t) => t.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
  });
  it('an event another message finished while this stage ran stays finished (a stale view never brings it back)', async () => {
    // The crash-recovery e2e's race, made deterministic: a redelivered stage re-applies its
    // recorded `processing` from a view it loaded before a concurrent stage failed the event.
    const { bus } = prefixedBus();
    const event = await newEvent();
    const handler = stageHandler(
      'validation',
      async (): Promise<StageResult> => {
        // Meanwhile the next stage fails the event (as sop_matching does with no_sop_matched).
        await updateEvent(event.tenantId, event.id, {
          status: 'failed',
          stage: 'sop_matching',
          errorType: 'no_sop_matched',
        });
        return { kind: 'next', messages: [{ stage: 'sop_matching', step: 'main' }] };
      },
      { bus: () => bus },
    );
    const message: StageMessage = {
      v: 1,
      tenantId: event.tenantId,
      eventId: event.id,
      stage: 'validation',
      step: 'main',
      attempt: 0,
    };
    expect(await handler(received(message, `${event.id}:validation:main:0`))).toEqual({ kind: 'complete' });
    const after = await loadEvent(event.tenantId, event.id);
    expect(after).toMatchObject({ status: 'failed', stage: 'sop_matching' });

    // And directly: a non-terminal patch on a terminal event keeps status and stage, other fields apply.
    await updateEvent(event.tenantId, event.id, { status: 'processing', stage: 'agent_dispatch', sopId: 'sop-9' });
    expect(await loadEvent(event.tenantId, event.id)).toMatchObject({
      status: 'failed',
      stage: 'sop_matching',
      sopId: 'sop-9',
    });
  });
});
