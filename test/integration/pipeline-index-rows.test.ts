import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../shared/events/contract';
import { createEvent, INDEX_DIMENSIONS, indexPartition, tables, updateEvent } from '../../shared/events/event-store';
import { listEvents } from '../../shared/inbound/list-events';
import { timeBucket } from '../../shared/storage/keys';
import { installLocalSettings } from '../support/local-settings';

/**
 * In-flight moves write no index rows (docs/decisions.md §84): stage and the in-flight statuses
 * (`received`, `processing`) are answered by walking the day's `events` partition, resting values
 * (held, awaiting_approval, finished) and source, type, error type from `eventindex`. The list
 * answers the same either way.
 */
beforeAll(() => {
  installLocalSettings();
});

async function newEvent(tenantId: string, source = 'autotask') {
  const { view } = await createEvent({
    tenantId,
    source,
    webhookId: 'wh_1',
    integrationId: 'int1',
    trigger: 'vendor',
    replayOf: null,
    correlationId: 'corr-1',
    dedupKey: null,
    bodyText: '{"Id":1}',
  });
  return view.id;
}

/** Every index row of the event, as `dimension=value`. */
async function indexRowsOf(tenantId: string, eventId: string, values: Record<string, string[]>): Promise<string[]> {
  const day = timeBucket(Date.now(), 'day');
  const found: string[] = [];
  for (const dimension of INDEX_DIMENSIONS) {
    for (const value of values[dimension] ?? []) {
      if (await tables().index.get(indexPartition(tenantId, dimension, value, day), eventId)) {
        found.push(`${dimension}=${value}`);
      }
    }
  }
  return found;
}

const ALL = {
  status: ['received', 'processing', 'succeeded', 'failed', 'awaiting_approval'],
  stage: ['validation', 'sop_matching', 'agent_dispatch', 'agent_execution', 'tool_call'],
  source: ['autotask', 'halopsa'],
  type: ['ticket.created'],
  errorType: ['vendor_unavailable'],
};

const ids = (page: { items: Array<{ id: string }> }) => page.items.map((i) => i.id).sort();

describe('event index rows', () => {
  it('an event moving through the stages writes its index rows once, and once more when it comes to rest', async () => {
    const tenantId = `tn-${randomUUID().slice(0, 8)}`;
    const id = await newEvent(tenantId);
    await updateEvent(tenantId, id, { status: 'processing', stage: 'sop_matching', type: 'ticket.created' });
    expect(await indexRowsOf(tenantId, id, ALL)).toEqual(['source=autotask', 'type=ticket.created']);
    for (const stage of ['agent_dispatch', 'agent_execution', 'tool_call', 'agent_execution'] as Stage[]) {
      await updateEvent(tenantId, id, { status: 'processing', stage });
    }
    expect(await indexRowsOf(tenantId, id, ALL)).toEqual(['source=autotask', 'type=ticket.created']);
    await updateEvent(tenantId, id, { status: 'awaiting_approval', stage: 'agent_execution' });
    expect(await indexRowsOf(tenantId, id, ALL)).toEqual([
      'status=awaiting_approval',
      'source=autotask',
      'type=ticket.created',
    ]);
    await updateEvent(tenantId, id, { status: 'processing', stage: 'tool_call' });
    await updateEvent(tenantId, id, { status: 'failed', stage: 'tool_call', errorType: 'vendor_unavailable' });
    expect(await indexRowsOf(tenantId, id, ALL)).toEqual([
      'status=failed',
      'source=autotask',
      'type=ticket.created',
      'errorType=vendor_unavailable',
    ]);
  });

  it('lists in-flight statuses and stages from the day partition, alone or with an indexed filter', async () => {
    const tenantId = `tn-${randomUUID().slice(0, 8)}`;
    const received = await newEvent(tenantId);
    const atMatching = await newEvent(tenantId);
    const atToolCall = await newEvent(tenantId);
    const haloAtToolCall = await newEvent(tenantId, 'halopsa');
    const done = await newEvent(tenantId);
    await updateEvent(tenantId, atMatching, { status: 'processing', stage: 'sop_matching', type: 'ticket.created' });
    for (const id of [atToolCall, haloAtToolCall, done]) {
      await updateEvent(tenantId, id, { status: 'processing', stage: 'sop_matching', type: 'ticket.created' });
      await updateEvent(tenantId, id, { status: 'processing', stage: 'tool_call' });
    }
    await updateEvent(tenantId, done, { status: 'succeeded', stage: 'agent_execution' });

    const list = (filters: Parameters<typeof listEvents>[1], limit = 10) => listEvents(tenantId, filters, { limit });
    expect(ids(await list({ status: 'received' }))).toEqual([received]);
    // Not validated yet: no index rows at all, so an indexed filter beside the status cannot drive.
    expect(ids(await list({ status: 'received', source: 'autotask' }))).toEqual([received]);
    expect(ids(await list({ status: 'processing' }))).toEqual([atMatching, atToolCall, haloAtToolCall].sort());
    expect(ids(await list({ stage: 'tool_call' }))).toEqual([atToolCall, haloAtToolCall].sort());
    expect(ids(await list({ stage: 'tool_call', source: 'halopsa' }))).toEqual([haloAtToolCall]);
    expect(ids(await list({ stage: 'agent_execution', status: 'succeeded' }))).toEqual([done]);
    expect(ids(await list({ stage: 'sop_matching', status: 'processing', type: 'ticket.created' }))).toEqual([
      atMatching,
    ]);
    expect(ids(await list({ stage: 'validation' }))).toEqual([received]);

    // Pages of the partition walk carry on where they stopped, newest first, without repeats.
    const first = await list({ status: 'processing' }, 2);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await listEvents(tenantId, { status: 'processing' }, { limit: 2, cursor: first.nextCursor! });
    expect(second.nextCursor).toBeNull();
    expect([...ids(first), ...ids(second)].sort()).toEqual([atMatching, atToolCall, haloAtToolCall].sort());
  });
});
