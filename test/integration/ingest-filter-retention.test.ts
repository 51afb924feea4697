import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { createEvent, indexPartition, loadEvent, updateEvent } from '../../shared/events/event-store';
import { eventTables } from '../../shared/events/tables';
import { FILTERED_EVENT_RETENTION_DAYS, purgeFilteredEvents } from '../../shared/inbound/ingest-filter-retention';
import { timeBucket } from '../../shared/storage/keys';
import { installMemoryServices, type MemoryServices } from '../support/memory-services';

/**
 * Filtered events are kept FILTERED_EVENT_RETENTION_DAYS, not the whole EVENT_RETENTION_DAYS: the
 * purge takes the old filtered events, with their index rows, and leaves processed events of the
 * same day and recent filtered events alone.
 */
const DAY = 86_400_000;
let memory: MemoryServices;
let restoreClock: () => void;
const clock = new ManualClock(Date.UTC(2071, 2, 1, 10));

beforeAll(() => {
  memory = installMemoryServices();
  restoreClock = installClock(clock);
});
afterAll(() => restoreClock());

async function event(tenantId: string, status: 'filtered' | 'succeeded'): Promise<string> {
  const { view } = await createEvent({
    tenantId,
    source: 'generic',
    webhookId: 'wh_x',
    integrationId: null,
    trigger: 'vendor',
    replayOf: null,
    correlationId: 'c',
    dedupKey: null,
    bodyText: '{"type":"alert.triggered"}',
  });
  await updateEvent(tenantId, view.id, {
    status,
    stage: 'validation',
    ...(status === 'filtered' ? { filteredBy: 'noise' } : {}),
  });
  return view.id;
}

describe('filtered-event retention', () => {
  it('purges filtered events older than their retention, and nothing else', async () => {
    const tenant = 'tn-filtered';
    const oldFiltered = await event(tenant, 'filtered');
    const oldProcessed = await event(tenant, 'succeeded');
    const oldDay = timeBucket(clock.now(), 'day');
    clock.advance((FILTERED_EVENT_RETENTION_DAYS + 1) * DAY);
    const newFiltered = await event(tenant, 'filtered');

    // Not yet due the day before: whole days only.
    const early = await purgeFilteredEvents({ retentionDays: 30, keepDays: FILTERED_EVENT_RETENTION_DAYS + 1 });
    expect(early.events).toBe(0);

    const result = await purgeFilteredEvents({ retentionDays: 30 });
    expect(result).toEqual({ events: 1, more: false });
    expect(await loadEvent(tenant, oldFiltered)).toBeUndefined();
    expect((await loadEvent(tenant, oldProcessed))?.status).toBe('succeeded');
    expect((await loadEvent(tenant, newFiltered))?.status).toBe('filtered');
    const index = eventTables(memory.account).index;
    expect(await index.get(indexPartition(tenant, 'status', 'filtered', oldDay), oldFiltered)).toBeUndefined();

    // Again: nothing left to do.
    expect(await purgeFilteredEvents({ retentionDays: 30 })).toEqual({ events: 0, more: false });
  });

  it('stops at its limit and says more is due', async () => {
    const tenant = 'tn-limit';
    // The first case's recent filtered event comes due too: purge it first.
    clock.advance((FILTERED_EVENT_RETENTION_DAYS + 1) * DAY);
    expect(await purgeFilteredEvents({ retentionDays: 30 })).toEqual({ events: 1, more: false });
    for (let i = 0; i < 3; i++) await event(tenant, 'filtered');
    clock.advance((FILTERED_EVENT_RETENTION_DAYS + 1) * DAY);
    expect(await purgeFilteredEvents({ retentionDays: 30, limit: 2 })).toEqual({ events: 2, more: true });
    expect(await purgeFilteredEvents({ retentionDays: 30, limit: 2 })).toEqual({ events: 1, more: false });
  });
});
