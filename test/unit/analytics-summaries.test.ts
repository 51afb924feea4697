import { describe, expect, it } from 'vitest';
import {
  codeClass,
  countsOf,
  MAX_CODES,
  summaryDelta,
  summaryIncrements,
  sumSummaries,
} from '../../shared/analytics/summaries';
import { addFailureDay, dayCountsOf, GROUP_DAYS } from '../../shared/analytics/transactions';

const DAY = 86_400_000;

describe('day summaries (bounded rows the dashboard reads)', () => {
  it('adds increments and folds codes beyond the cap into their class', () => {
    let row = summaryIncrements.apply(undefined, summaryDelta('inbound_webhook', 'succeeded', '-', 3));
    for (let i = 0; i < MAX_CODES; i++) {
      row = summaryIncrements.apply(row, summaryDelta('custom_node', 'failed', `code_${i}`, 1));
    }
    // The row is full: a new status folds into its class, a new named code into `other`, and a
    // code already held keeps counting under its own name.
    row = summaryIncrements.apply(row, summaryDelta('outbound_webhook', 'failed', '418', 2));
    row = summaryIncrements.apply(row, summaryDelta('outbound_webhook', 'failed', 'timeout', 1));
    row = summaryIncrements.apply(row, summaryDelta('custom_node', 'failed', 'code_0', 4));
    const counts = countsOf(row);
    expect(counts.types).toEqual({
      inbound_webhook: [3, 0, 0],
      custom_node: [0, MAX_CODES + 4, 0],
      outbound_webhook: [0, 3, 0],
    });
    expect(counts.codes['418']).toBeUndefined();
    expect(counts.codes['4xx']).toEqual({ outbound_webhook: 2 });
    expect(counts.codes.other).toEqual({ outbound_webhook: 1 });
    expect(counts.codes.code_0).toEqual({ custom_node: 5 });
    expect(Object.keys(counts.codes)).toHaveLength(MAX_CODES + 2);
    expect([codeClass('503'), codeClass('302'), codeClass('crashed'), codeClass('4000')]).toEqual([
      '5xx',
      '3xx',
      'other',
      'other',
    ]);
  });

  it('counts filtered events apart from both outcomes, and reads rows written before filters as filtered 0', () => {
    let row = summaryIncrements.apply(undefined, summaryDelta('inbound_webhook', 'filtered', '-', 2));
    row = summaryIncrements.apply(row, summaryDelta('inbound_webhook', 'succeeded', '-', 1));
    expect(countsOf(row)).toEqual({ types: { inbound_webhook: [1, 0, 2] }, codes: {} });
    const older = {
      types: JSON.stringify({ custom_node: [4, 1] }),
      codes: JSON.stringify({ '811': { custom_node: 1 } }),
    };
    expect(countsOf(older).types).toEqual({ custom_node: [4, 1, 0] });
    const [day] = sumSummaries(['20260101'], [{ day: '20260101', counts: countsOf(row) }]);
    expect(day?.types.inbound_webhook).toEqual({ succeeded: 1, failed: 0, filtered: 2 });
  });

  it('combines pending increments without touching either input (a lost race applies again)', () => {
    const a = summaryDelta('custom_event', 'failed', '400', 1);
    const b = summaryDelta('custom_event', 'failed', '400', 2);
    const both = summaryIncrements.combine(a, b);
    expect(both.codes['400']).toEqual({ custom_event: 3 });
    expect(a.codes['400']).toEqual({ custom_event: 1 });
    const stored = summaryIncrements.apply(undefined, a);
    summaryIncrements.apply(stored, both);
    expect(countsOf(stored).types).toEqual({ custom_event: [0, 1, 0] });
  });

  it('sums the shard rows of each day, in the order asked, with zeros for days without rows', () => {
    const one = countsOf(summaryIncrements.apply(undefined, summaryDelta('custom_node', 'failed', '811', 2)));
    const two = countsOf(summaryIncrements.apply(undefined, summaryDelta('custom_node', 'failed', '811', 5)));
    const [d1, d2] = sumSummaries(
      ['20260102', '20260101'],
      [
        { day: '20260101', counts: one },
        { day: '20260101', counts: two },
        { day: '20251231', counts: two },
      ],
    );
    expect(d1?.day).toBe('20260102');
    expect(d1?.failed).toEqual([]);
    expect(d2?.types.custom_node).toEqual({ succeeded: 0, failed: 7, filtered: 0 });
    expect(d2?.failed).toEqual([{ code: '811', type: 'custom_node', count: 7 }]);
  });
});

describe('failure group day counts', () => {
  it('counts a failure on its day and drops days older than the window', () => {
    const now = Date.UTC(2026, 5, 30, 12);
    let counts = addFailureDay({}, now - GROUP_DAYS * DAY);
    counts = addFailureDay(counts, now - (GROUP_DAYS - 1) * DAY);
    counts = addFailureDay(counts, now, 3);
    expect(counts).toEqual({ '20260402': 1, '20260630': 3 });
    expect(dayCountsOf(JSON.stringify(counts))).toEqual(counts);
    expect(dayCountsOf('not json')).toEqual({});
    expect(dayCountsOf('{"2026":1}')).toEqual({});
  });
});
