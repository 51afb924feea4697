import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BusSender, ReceivedMessage, SendOptions } from '../../shared/bus/port';
import type { StageMessage } from '../../shared/events/contract';
import { createEvent, loadEvent, loadNormalizedEvent } from '../../shared/events/event-store';
import { failureOfEvent } from '../../shared/failures/analysis';
import { failureAnalysisHandler } from '../../shared/failures/consumer';
import { listEvents } from '../../shared/inbound/list-events';
import { stageHandler } from '../../shared/pipeline/stage-runner';
import { validateEvent } from '../../shared/pipeline/validation/stage';
import { installLocalSettings } from '../support/local-settings';

/**
 * The validation stage and the Failure Analysis consumer against Azurite: a vendor payload becomes
 * a NormalizedEvent and moves on to SOP matching; an unreadable one dead-letters as
 * validation_error; each dead letter becomes one failure record with a fix specific to the case.
 */
beforeAll(() => {
  installLocalSettings();
});

function capture() {
  const sent: Array<{ queue: string; body: unknown; options: SendOptions }> = [];
  const bus: BusSender = { send: async (queue, body, options) => void sent.push({ queue, body, options }) };
  return { sent, bus };
}

async function event(source: string, body: unknown) {
  const tenantId = `tn-${randomUUID().slice(0, 8)}`;
  const { view } = await createEvent({
    tenantId,
    source,
    webhookId: 'wh_1',
    integrationId: 'int1',
    trigger: 'vendor',
    replayOf: null,
    correlationId: 'corr-v',
    dedupKey: null,
    bodyText: JSON.stringify(body),
  });
  return view;
}

function delivery(message: StageMessage, props: Record<string, string | number> = {}): ReceivedMessage {
  return {
    body: message,
    messageId: `${message.eventId}:${message.stage}:${message.step}:${message.attempt}`,
    deliveryCount: 1,
    enqueuedTimeUtc: new Date(),
    correlationId: 'corr-v',
    applicationProperties: props,
  };
}

const validationMessage = (tenantId: string, eventId: string): StageMessage => ({
  v: 1,
  tenantId,
  eventId,
  stage: 'validation',
  step: 'main',
  attempt: 0,
});

describe('validation stage', () => {
  it('normalises an Autotask ticket callback and sends the event to SOP matching', async () => {
    const { sent, bus } = capture();
    const e = await event('autotask', {
      Action: 'Create',
      Guid: 'g1',
      EntityType: 'Ticket',
      Id: 1234,
      Fields: { Title: 'disk_full on SRV01', Priority: 4, CompanyID: 77 },
      EventTime: '2026-01-02T03:04:05Z',
      SequenceNumber: 1,
    });
    const handler = stageHandler('validation', validateEvent, { bus: () => bus });
    expect(await handler(delivery(validationMessage(e.tenantId, e.id)))).toEqual({ kind: 'complete' });
    const normalized = await loadNormalizedEvent(e.tenantId, e.id);
    expect(normalized).toMatchObject({
      source: 'autotask',
      type: 'ticket.created',
      subject: 'disk_full on SRV01',
      severity: 'critical',
      entities: { ticketId: '1234', companyId: '77' },
      occurredAt: '2026-01-02T03:04:05.000Z',
    });
    expect(normalized.keywords).toContain('disk_full');
    expect(normalized.fields['Fields.Title']).toBe('disk_full on SRV01');
    expect(await loadEvent(e.tenantId, e.id)).toMatchObject({
      status: 'processing',
      stage: 'sop_matching',
      type: 'ticket.created',
    });
    expect(sent.map((s) => [s.queue, s.options.messageId])).toEqual([['sop-matching', `${e.id}:sop_matching:main:0`]]);
    // The index now serves filters: by type and by status.
    const byType = await listEvents(e.tenantId, { type: 'ticket.created' }, { limit: 10 });
    expect(byType.items.map((i) => i.id)).toEqual([e.id]);
    expect((await listEvents(e.tenantId, { status: 'failed' }, { limit: 10 })).items).toEqual([]);
    const other = await event('generic', { type: 'a.b' });
    const received = await listEvents(other.tenantId, { status: 'received' }, { limit: 10 });
    expect(received.items.map((i) => i.id)).toEqual([other.id]);
  });

  it('dead-letters an unreadable payload as validation_error; the Failure Analysis records it with a fix', async () => {
    const { bus } = capture();
    const e = await event('generic', { hello: 'no type here' });
    const handler = stageHandler('validation', validateEvent, { bus: () => bus });
    const message = validationMessage(e.tenantId, e.id);
    const settlement = await handler(delivery(message));
    expect(settlement.kind).toBe('deadLetter');
    expect(settlement).toMatchObject({ reason: 'validation_error' });
    const description = (settlement as { description: string }).description;
    expect(description).toContain('type');

    await failureAnalysisHandler('validation')(
      delivery(message, {
        DeadLetterReason: 'validation_error',
        DeadLetterErrorDescription: description,
        vendor: 'generic',
      }),
    );
    const failure = await failureOfEvent(e.tenantId, e.id);
    expect(failure).toMatchObject({
      kind: 'event',
      stage: 'validation',
      errorType: 'validation_error',
      message: description,
    });
    expect(failure?.suggestedFix).toContain('"type": "ticket.created"');
    const listed = await listEvents(e.tenantId, { errorType: 'validation_error' }, { limit: 10 });
    expect(listed.items.map((i) => [i.id, i.status, i.stage])).toEqual([[e.id, 'failed', 'validation']]);
  });
});

describe('Failure Analysis consumer', () => {
  it('no_sop_matched: names the keyword, the source and the closest SOP with its score', async () => {
    const { bus } = capture();
    const e = await event('autotask', {
      Action: 'Create',
      EntityType: 'Ticket',
      Id: 9,
      Fields: { Title: 'disk_full on SRV02' },
    });
    await stageHandler('validation', validateEvent, { bus: () => bus })(delivery(validationMessage(e.tenantId, e.id)));
    const message: StageMessage = { ...validationMessage(e.tenantId, e.id), stage: 'sop_matching' };
    await failureAnalysisHandler('sop_matching')(
      delivery(message, {
        DeadLetterReason: 'no_sop_matched',
        DeadLetterErrorDescription: 'No SOP matched ticket.created from autotask',
        vendor: 'autotask',
        closestSopId: 'sop_42',
        closestSopScore: 0.35,
      }),
    );
    const failure = await failureOfEvent(e.tenantId, e.id);
    expect(failure?.errorType).toBe('no_sop_matched');
    expect(failure?.suggestedFix).toContain("Create a SOP with keyword 'disk_full' for source 'autotask'");
    expect(failure?.suggestedFix).toContain('sop_42');
    expect(failure?.metadata).toMatchObject({
      vendor: 'autotask',
      closestSopId: 'sop_42',
      closestSopScore: 0.35,
      correlationId: 'corr-v',
    });
    expect(await loadEvent(e.tenantId, e.id)).toMatchObject({ status: 'failed', stage: 'sop_matching' });
  });

  it('tool_config_error 401: tells the admin to re-enter the vendor credentials; a redelivered dead letter keeps one record', async () => {
    const e = await event('autotask', { Action: 'Create', EntityType: 'Ticket', Id: 9 });
    const message: StageMessage = {
      ...validationMessage(e.tenantId, e.id),
      stage: 'tool_call',
      step: 'run-r1-0',
      agentRunId: 'r1',
      stepIndex: 0,
    };
    const letter = delivery(message, {
      DeadLetterReason: 'tool_config_error',
      DeadLetterErrorDescription: 'Datto RMM answered 401',
      vendor: 'datto-rmm',
      tool: 'datto-rmm.run_quick_job',
      vendorStatus: 401,
    });
    await failureAnalysisHandler('tool_call')(letter);
    await failureAnalysisHandler('tool_call')({ ...letter, deliveryCount: 2 });
    const failure = await failureOfEvent(e.tenantId, e.id);
    expect(failure?.suggestedFix).toBe(
      "Re-enter the Datto RMM API credentials of this integration: Datto RMM answered 401 to the tool 'datto-rmm.run_quick_job'. Then replay the event.",
    );
    expect(failure?.metadata).toMatchObject({ agentRunId: 'r1', tool: 'datto-rmm.run_quick_job', vendorStatus: 401 });
  });

  it('a handler that crashed until maxDeliveryCount is analysed as crashed and the event marked failed', async () => {
    const e = await event('halopsa', { ticket: { id: 1 } });
    const message: StageMessage = { ...validationMessage(e.tenantId, e.id), stage: 'agent_dispatch' };
    await failureAnalysisHandler('agent_dispatch')(
      delivery(message, { DeadLetterReason: 'MaxDeliveryCountExceeded', DeadLetterErrorDescription: 'Error: boom' }),
    );
    expect(await failureOfEvent(e.tenantId, e.id)).toMatchObject({ errorType: 'crashed', stage: 'agent_dispatch' });
    expect(await loadEvent(e.tenantId, e.id)).toMatchObject({ status: 'failed', stage: 'agent_dispatch' });
  });
});

describe('events list', () => {
  it('pages newest first with a cursor and honours the time range', async () => {
    const first = await event('generic', { type: 'a.b' });
    const ids = [first.id];
    for (let i = 0; i < 2; i++) {
      const { view } = await createEvent({
        tenantId: first.tenantId,
        source: 'generic',
        webhookId: 'wh_1',
        integrationId: null,
        trigger: 'vendor',
        replayOf: null,
        correlationId: 'c',
        dedupKey: null,
        bodyText: '{"type":"a.b"}',
      });
      ids.push(view.id);
    }
    const page1 = await listEvents(first.tenantId, {}, { limit: 2 });
    expect(page1.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await listEvents(first.tenantId, {}, { limit: 2, cursor: page1.nextCursor! });
    expect(page2.items.map((i) => i.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();
    // A full last page says so too: no cursor to an empty page (docs/api.md, "Lists").
    const exact = await listEvents(first.tenantId, {}, { limit: 3 });
    expect(exact.items).toHaveLength(3);
    expect(exact.nextCursor).toBeNull();
    const past = await listEvents(
      first.tenantId,
      { to: new Date(Date.now() - 3_600_000).toISOString() },
      { limit: 10 },
    );
    expect(past.items).toEqual([]);
  });
});
