import { describe, expect, it } from 'vitest';
import { hostJsonSettings, readHostJson, timeSpanMs } from '../../local/host-json';
import { ROOT } from '../support/host-process';

/** The local host takes Service Bus and Durable concurrency and lock renewal from host.json, as Azure does. */
describe('host.json for the local host', () => {
  it('reads the repository host.json: 10 minutes per function, 16 concurrent calls, 10 minutes of lock renewal, 10 activities', () => {
    expect(readHostJson(ROOT)).toEqual({
      functionTimeoutMs: 10 * 60_000,
      serviceBus: { maxConcurrentCalls: 16, maxAutoLockRenewalMs: 10 * 60_000 },
      durableTask: { maxConcurrentActivityFunctions: 10 },
    });
  });

  it('falls back to the Functions defaults for what host.json leaves out', () => {
    expect(hostJsonSettings({ version: '2.0' }, 2)).toEqual({
      functionTimeoutMs: 30 * 60_000,
      serviceBus: { maxConcurrentCalls: 32, maxAutoLockRenewalMs: 5 * 60_000 },
      durableTask: { maxConcurrentActivityFunctions: 20 },
    });
  });

  it('parses TimeSpans as the host does and refuses what is not one', () => {
    expect(timeSpanMs('00:10:00')).toBe(600_000);
    expect(timeSpanMs('1.02:03:04.5')).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 500);
    expect(() => timeSpanMs('10 minutes')).toThrow(/TimeSpan/);
    expect(() => hostJsonSettings({ extensions: { serviceBus: { maxAutoLockRenewalDuration: 'soon' } } })).toThrow(
      /host.json is not valid/,
    );
    expect(() => hostJsonSettings({ extensions: { serviceBus: { maxConcurrentCalls: 0 } } })).toThrow();
    expect(hostJsonSettings({ functionTimeout: '-1' }).functionTimeoutMs).toBeUndefined();
    expect(() => hostJsonSettings({ functionTimeout: 'ten minutes' })).toThrow(/host.json is not valid/);
  });
});
