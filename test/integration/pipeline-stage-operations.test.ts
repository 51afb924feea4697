import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BusSender, ReceivedMessage } from '../../shared/bus/port';
import type { NormalizedEvent, StageMessage } from '../../shared/events/contract';
import { createEvent, eventPartition, loadEvent, loadNormalizedEvent, tables } from '../../shared/events/event-store';
import { loadStageRecord, loadTimeline, stageRowKey, timelinePartition } from '../../shared/events/timeline';
import { type StageResult, stageHandler } from '../../shared/pipeline/stage-runner';
import { installLocalSettings } from '../support/local-settings';
import { tableTrips } from '../support/table-trips';

/**
 * What one stage delivery costs in storage (docs/pipeline.md, "Storage operations per event"):
 * one event read handed to the work, and one entity-group transaction (`$batch`) that writes the
 * event with the stage's own fields and inserts its timeline row (docs/decisions.md §84), no timeline
 * read on a first delivery; a redelivery reads the timeline row and re-applies.
 * Round trips are counted at the SDK's transport; the bus here is an in-memory sender.
 */
beforeAll(() => {
  installLocalSettings();
});

async function newEvent() {
  const { view } = await createEvent({
    tenantId: `tn-${randomUUID().slice(0, 8)}`,
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

const count = (trips: string[], trip: string) => trips.filter((t) => t === trip).length;

describe('stage delivery storage operations', () => {
  it('a first delivery reads the event once, writes it once with the stage fields, and inserts its timeline row without reading it', async () => {
    const event = await newEvent();
    const sent: string[] = [];
    const bus: BusSender = {
      send: async (_queue, _body, options) => {
        sent.push(options.messageId);
      },
    };
    const normalized: NormalizedEvent = {
      source: 'autotask',
      type: 'ticket.created',
      subject: 'Disk full',
      severity: 'high',
      occurredAt: '2026-01-01T09:00:00.000Z',
      keywords: ['disk_full'],
      entities: { ticketId: '1' },
      fields: {},
    };
    let seenPayload = '';
    const handler = stageHandler(
      'validation',
      async (ctx): Promise<StageResult> => {
        seenPayload = (await ctx.payloadText?.()) ?? '';
        return {
          kind: 'next',
          messages: [{ stage: 'sop_matching', step: 'main' }],
          patch: { type: 'ticket.created', normalized },
        };
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
    const delivery = (deliveryCount: number): ReceivedMessage => ({
      body: message,
      messageId: 'm1',
      deliveryCount,
      enqueuedTimeUtc: new Date(),
      applicationProperties: {},
    });

    const first = await tableTrips(() => handler(delivery(1)));
    expect(seenPayload).toBe('{"Id":1}');
    expect(count(first, 'GET events')).toBe(1);
    expect(count(first, 'POST $batch')).toBe(1);
    expect(count(first, 'PUT events')).toBe(0);
    expect(first.filter((t) => t.endsWith(' eventstages'))).toEqual([]);
    // Source and type are indexed once; the stage and the in-flight status are not (§84).
    expect(count(first, 'PUT eventindex')).toBe(2);
    expect(count(first, 'DELETE eventindex')).toBe(0);
    expect(sent).toEqual([`${event.id}:sop_matching:main:0`]);
    expect(await loadEvent(event.tenantId, event.id)).toMatchObject({
      status: 'processing',
      stage: 'sop_matching',
      type: 'ticket.created',
    });
    expect((await loadNormalizedEvent(event.tenantId, event.id)).subject).toBe('Disk full');
    expect((await loadStageRecord(event.tenantId, event.id, 'validation', 'main', 0))?.outcome).toBe('succeeded');

    // A redelivery (the handler crashed before settling): the timeline is read, the recorded
    // outcome re-applied, and the same next message sent again (duplicate detection drops it).
    const again = await tableTrips(() => handler(delivery(2)));
    expect(count(again, 'GET events')).toBe(2);
    expect(count(again, 'POST $batch')).toBe(0);
    // The recording transaction moved the event: re-applying its outcome writes it no more.
    expect(count(again, 'PUT events')).toBe(0);
    expect(again.filter((t) => t.endsWith(' eventstages'))).toEqual([]);
    expect(sent).toEqual([`${event.id}:sop_matching:main:0`, `${event.id}:sop_matching:main:0`]);
  });

  it('an event stored before the timeline moved into its partition: a redelivery finds its outcome in eventstages', async () => {
    const event = await newEvent();
    // As an older version stored it: no timelineInPartition flag, the outcome in `eventstages`.
    const pk = eventPartition(event.tenantId, event.id);
    await tables().events.update(pk, event.id, (current) => {
      if (!current) return undefined;
      const { timelineInPartition: _moved, ...older } = current;
      return { ...older, status: 'processing', stage: 'sop_matching' };
    });
    const at = new Date().toISOString();
    await tables().stages.insert(timelinePartition(event.tenantId, event.id), stageRowKey('validation', 'main', 0), {
      stage: 'validation',
      step: 'main',
      attempt: 0,
      outcome: 'succeeded',
      startedAt: at,
      finishedAt: at,
      durationMs: 0,
      next: JSON.stringify([{ stage: 'sop_matching', step: 'main' }]),
    });
    const sent: string[] = [];
    let ran = 0;
    const handler = stageHandler(
      'validation',
      async (): Promise<StageResult> => {
        ran++;
        return { kind: 'next', messages: [{ stage: 'sop_matching', step: 'main' }] };
      },
      { bus: () => ({ send: async (_q, _b, options) => void sent.push(options.messageId) }) },
    );
    const message: StageMessage = {
      v: 1,
      tenantId: event.tenantId,
      eventId: event.id,
      stage: 'validation',
      step: 'main',
      attempt: 0,
    };
    const trips = await tableTrips(() =>
      handler({
        body: message,
        messageId: 'm1',
        deliveryCount: 2,
        enqueuedTimeUtc: new Date(),
        applicationProperties: {},
      }),
    );
    expect(ran).toBe(0);
    expect(count(trips, 'GET eventstages')).toBe(1);
    expect(sent).toEqual([`${event.id}:sop_matching:main:0`]);
    expect((await loadTimeline(event.tenantId, event.id)).map((e) => `${e.stage}:${e.outcome}`)).toEqual([
      'validation:succeeded',
    ]);
  });
});
