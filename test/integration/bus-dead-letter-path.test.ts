import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { triggerMetadataFor } from '../../local/queue-runner';
import type { QueueConsumer } from '../../shared/bus/consumer';
import { complete, type DeadLetterForwarder, MAX_DELIVERY_COUNT_EXCEEDED } from '../../shared/bus/port';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { LOCAL_SETTLEMENT_FLAG, queueTriggerHandler } from '../../shared/bus/trigger';
import { STAGE_QUEUES } from '../../shared/events/contract';
import { createEvent, loadEvent } from '../../shared/events/event-store';
import { sendToStage } from '../../shared/events/stage-messages';
import { loadTimeline } from '../../shared/events/timeline';
import { failureOfEvent } from '../../shared/failures/analysis';
import { failureAnalysisHandler } from '../../shared/failures/consumer';
import { type StageResult, stageHandler } from '../../shared/pipeline/stage-runner';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { installLocalSettings } from '../support/local-settings';
import { PrefixedBus } from '../support/prefixed-bus';
import { eventually } from '../support/wait';

/**
 * The dead-letter path as Azure runs it. On the plain binding a stage's explicit dead-letter is a
 * forward of a copy to `<queue>-deadletter`; when the forward fails the invocation throws, the host
 * abandons, and after maxDeliveryCount the broker dead-letters the message itself with
 * MaxDeliveryCountExceeded and its count text, nothing more. The Failure Analysis must still name
 * the real error — from the event's timeline, since the broker keeps none.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const MAX_DELIVERIES = 3;

beforeAll(() => {
  installLocalSettings();
});

const consumers: QueueConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
});

function setup() {
  const inner = new StorageQueueBus(account, { maxDeliveryCount: MAX_DELIVERIES, lockDurationSeconds: 5 });
  return { inner, bus: new PrefixedBus(inner) };
}

async function newEvent() {
  const { view } = await createEvent({
    tenantId: `tn-${randomUUID().slice(0, 8)}`,
    source: 'halopsa',
    webhookId: 'wh1',
    integrationId: 'int1',
    trigger: 'vendor',
    replayOf: null,
    correlationId: 'corr-dl',
    dedupKey: null,
    bodyText: '{"ticket":{"id":1}}',
  });
  return view;
}

/**
 * The Functions host on the plain binding: the trigger gets the metadata the worker builds (no
 * local-settlement flag), a return completes, a throw abandons.
 */
function azureHost(trigger: ReturnType<typeof queueTriggerHandler>) {
  return async (message: Parameters<typeof triggerMetadataFor>[0]) => {
    const triggerMetadata = triggerMetadataFor(message);
    delete triggerMetadata[LOCAL_SETTLEMENT_FLAG];
    await trigger(
      message.body,
      new InvocationContext({ functionName: 'stage', triggerMetadata, logHandler: () => {} }),
    );
    return complete;
  };
}

async function runUntilAnalysed(bus: PrefixedBus, inner: StorageQueueBus, tenantId: string, eventId: string) {
  const queue = bus.queue(STAGE_QUEUES.agent_dispatch);
  consumers.push(
    inner.startConsumer(`${queue}-deadletter`, failureAnalysisHandler('agent_dispatch'), { pollIntervalMs: 50 }),
  );
  return eventually(async () => failureOfEvent(tenantId, eventId), 30_000);
}

describe('the dead-letter path on the plain Azure binding', () => {
  it('a forward that keeps failing ends as MaxDeliveryCountExceeded, and the failure record still carries the stage’s real error', async () => {
    const { inner, bus } = setup();
    const event = await newEvent();
    let runs = 0;
    const handler = stageHandler(
      'agent_dispatch',
      async (): Promise<StageResult> => {
        runs++;
        return {
          kind: 'fail',
          errorType: 'integration_missing',
          message: 'step 2 names a tool that does not exist',
          transient: false,
        };
      },
      { bus: () => bus },
    );
    const forwards: string[] = [];
    const failingForwarder: DeadLetterForwarder = {
      async forwardToDeadLetter(_queue, message) {
        forwards.push(message.messageId);
        throw new Error('forward refused: the namespace is unreachable');
      },
    };
    const trigger = queueTriggerHandler(STAGE_QUEUES.agent_dispatch, handler, { forwarder: () => failingForwarder });
    const queue = bus.queue(STAGE_QUEUES.agent_dispatch);
    consumers.push(inner.startConsumer(queue, azureHost(trigger), { pollIntervalMs: 50 }));
    await sendToStage(bus, event.tenantId, event.id, { stage: 'agent_dispatch', step: 'main' });

    const dead = await eventually(async () => (await inner.peekDeadLetters(queue))[0], 30_000);
    // Only what the broker writes: the reason and its count text, no application error.
    expect(dead.deadLetterReason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);
    expect(dead.deadLetterErrorDescription).toBe(
      `Message could not be consumed after ${MAX_DELIVERIES} delivery attempts.`,
    );
    expect(forwards).toHaveLength(MAX_DELIVERIES);
    // The work ran once; redeliveries re-applied the recorded outcome.
    expect(runs).toBe(1);

    const failure = await runUntilAnalysed(bus, inner, event.tenantId, event.id);
    expect(failure).toMatchObject({
      stage: 'agent_dispatch',
      errorType: 'integration_missing',
      message: 'step 2 names a tool that does not exist',
    });
    expect(failure.metadata).toMatchObject({ deadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED });
    expect(await loadEvent(event.tenantId, event.id)).toMatchObject({ status: 'failed' });
  });

  it('a stage that throws on every delivery is analysed as crashed with the error its last delivery threw', async () => {
    const { inner, bus } = setup();
    const event = await newEvent();
    let runs = 0;
    const handler = stageHandler(
      'agent_dispatch',
      async (): Promise<StageResult> => {
        runs++;
        throw new Error(`agent catalogue unreadable (run ${runs})`);
      },
      { bus: () => bus },
    );
    const trigger = queueTriggerHandler(STAGE_QUEUES.agent_dispatch, handler);
    const queue = bus.queue(STAGE_QUEUES.agent_dispatch);
    consumers.push(inner.startConsumer(queue, azureHost(trigger), { pollIntervalMs: 50 }));
    await sendToStage(bus, event.tenantId, event.id, { stage: 'agent_dispatch', step: 'main' });

    const failure = await runUntilAnalysed(bus, inner, event.tenantId, event.id);
    expect(runs).toBe(MAX_DELIVERIES);
    expect(failure).toMatchObject({
      stage: 'agent_dispatch',
      errorType: 'crashed',
      message: `Error: agent catalogue unreadable (run ${MAX_DELIVERIES})`,
    });
    expect(failure.metadata).toMatchObject({
      deadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED,
      lastCrashedDelivery: MAX_DELIVERIES,
    });
    expect(failure.suggestedFix).toContain('agent catalogue unreadable');
    // Each crashed delivery is on the timeline; the attempt's own row stays free for the redelivery.
    const timeline = await loadTimeline(event.tenantId, event.id);
    expect(timeline.map((t) => `${t.stage} ${t.step} ${t.outcome} ${t.errorType}`)).toEqual(
      [1, 2, 3].map((n) => `agent_dispatch main@delivery-${n} retrying crashed`),
    );
  });
});
