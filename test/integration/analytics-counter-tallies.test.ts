import { describe, expect, it } from 'vitest';
import { CounterTallies } from '../../shared/analytics/counter-tallies';
import { type CounterKey, Counters } from '../../shared/analytics/counters';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { freshCounterTables } from '../support/counter-tables';

/**
 * Deferred counter increments (docs/decisions.md §84): summed in memory, written when the last
 * tracked piece of work ends (that work awaits the write), or at a threshold. Against Azurite.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const freshCounters = (): Counters => new Counters(freshCounterTables(account));

const key = (outcome: string): CounterKey => ({
  tenantId: 'tenant-a',
  integrationType: 'inbound_webhook',
  integrationId: 'wh-1',
  outcome,
  code: '-',
});

async function counted(counters: Counters, bucket: 'day' | 'hour'): Promise<Record<string, number>> {
  const rows = await counters.totals('tenant-a', Date.now() - 86_400_000, Date.now() + 86_400_000, bucket, {
    integrationType: 'inbound_webhook',
  });
  const out: Record<string, number> = {};
  for (const r of rows) out[r.outcome] = (out[r.outcome] ?? 0) + r.count;
  return out;
}

/** Thresholds out of reach, so only the end of tracked work (or an explicit flush) writes. */
const QUIET = { everyIncrements: 1_000_000, intervalMs: 3_600_000 };

describe('counter tallies', () => {
  it('the tracked work that leaves the process idle writes every increment before it returns', async () => {
    const counters = freshCounters();
    const tallies = new CounterTallies(() => counters, QUIET);
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const first = tallies.track(async () => {
      tallies.add(key('validation.succeeded'));
      await firstHeld;
    });
    await tallies.track(async () => {
      tallies.add(key('validation.succeeded'));
      tallies.add(key('sop_matching.failed'), 2);
    });
    // The first piece of work is still running: nothing written yet, all of it summed.
    expect(tallies.size).toBe(4);
    expect(await counted(counters, 'day')).toEqual({});
    releaseFirst();
    await first;
    expect(tallies.size).toBe(0);
    expect(await counted(counters, 'day')).toEqual({ 'validation.succeeded': 2, 'sop_matching.failed': 2 });
    expect(await counted(counters, 'hour')).toEqual({ 'validation.succeeded': 2, 'sop_matching.failed': 2 });
  });

  it('writes at the increment threshold under load, one write per key and bucket, and loses nothing', async () => {
    const counters = freshCounters();
    const tallies = new CounterTallies(() => counters, { everyIncrements: 5, intervalMs: 3_600_000 });
    for (let i = 0; i < 12; i++) tallies.add(key(i % 2 === 0 ? 'tool_call.succeeded' : 'tool_call.failed'));
    // 12 increments: two threshold flushes (10 written), 2 still summed in memory.
    expect(tallies.size).toBe(2);
    await tallies.flush();
    expect(tallies.size).toBe(0);
    expect(await counted(counters, 'day')).toEqual({ 'tool_call.succeeded': 6, 'tool_call.failed': 6 });
  });

  it('a failing piece of work still writes what it counted', async () => {
    const counters = freshCounters();
    const tallies = new CounterTallies(() => counters, QUIET);
    await expect(
      tallies.track(async () => {
        tallies.add(key('agent_execution.retrying'));
        throw new Error('crash');
      }),
    ).rejects.toThrow('crash');
    expect(await counted(counters, 'day')).toEqual({ 'agent_execution.retrying': 1 });
  });
});
