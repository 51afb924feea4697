import { describe, expect, it } from 'vitest';
import { MAX_WAIT_SECONDS, type PollTiming, pollUntil } from '../../shared/clock/poll-until';

/** A timing whose sleeps only move a counter, so the bound is checked without waiting. */
function virtualTiming(readCostMs = 0): PollTiming & { slept: number[]; now: number; readCostMs: number } {
  const t = {
    slept: [] as number[],
    now: 0,
    readCostMs,
    sleep: async (ms: number) => {
      t.slept.push(ms);
      t.now += ms;
    },
    elapsedMs: () => t.now,
  };
  return t;
}

describe('pollUntil (the API wait parameters)', () => {
  it('returns at once when the first read is done, without sleeping', async () => {
    const timing = virtualTiming();
    expect(
      await pollUntil(
        async () => 'settled',
        (v) => v === 'settled',
        10_000,
        timing,
      ),
    ).toEqual({
      value: 'settled',
      done: true,
    });
    expect(timing.slept).toEqual([]);
  });

  it('backs off 100, 200, 400, 800 ms then reads every second, and stops at the budget with the last value', async () => {
    const timing = virtualTiming();
    let reads = 0;
    const result = await pollUntil(
      async () => ++reads,
      () => false,
      5_000,
      timing,
    );
    expect(result).toEqual({ value: reads, done: false });
    expect(timing.slept).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 500]);
    expect(timing.now).toBe(5_000);
    expect(reads).toBe(9);
  });

  it('counts the time reads take against the budget', async () => {
    const timing = virtualTiming();
    let reads = 0;
    await pollUntil(
      async () => {
        reads++;
        timing.now += 700; // a slow storage read
        return reads;
      },
      () => false,
      3_000,
      timing,
    );
    expect(timing.now).toBeLessThanOrEqual(3_000 + 700);
    expect(reads).toBeLessThanOrEqual(4);
  });

  it('never waits longer than MAX_WAIT_SECONDS, whatever it is asked', async () => {
    const timing = virtualTiming();
    await pollUntil(
      async () => 0,
      () => false,
      10 * 60_000,
      timing,
    );
    expect(timing.now).toBe(MAX_WAIT_SECONDS * 1_000);
    expect(timing.slept.length).toBeLessThanOrEqual(25);
  });

  it('finishes when the value settles part-way', async () => {
    const timing = virtualTiming();
    let reads = 0;
    const result = await pollUntil(
      async () => ++reads,
      (v) => v === 3,
      10_000,
      timing,
    );
    expect(result).toEqual({ value: 3, done: true });
    expect(timing.slept).toEqual([100, 200]);
  });

  it('reads once with a budget of 0', async () => {
    const timing = virtualTiming();
    let reads = 0;
    expect(
      (
        await pollUntil(
          async () => ++reads,
          () => false,
          0,
          timing,
        )
      ).done,
    ).toBe(false);
    expect(reads).toBe(1);
  });
});
