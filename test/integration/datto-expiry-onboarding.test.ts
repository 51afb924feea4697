import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeOnce, toTestResult } from '../../shared/integrations/probe-once';
import { connector } from '../../shared/vendors/datto-rmm';
import { fakeSession } from '../fakes/core/session';
import { DattoRmmFake, FAKE_DATTO_RMM_CREDENTIALS } from '../fakes/datto-rmm';

/**
 * Onboarding Datto RMM (docs/integrations.md, "Expiry dates"): its API does not report when an API
 * key expires, so the connection test asks for the date — or for the answer that there is none —
 * instead of leaving the field silently optional.
 */
const fake = new DattoRmmFake();
let baseUrl = '';
beforeAll(async () => {
  baseUrl = await fake.start();
});
afterAll(() => fake.stop());

const test = async (extra: object) =>
  toTestResult(
    await probeOnce(connector, fakeSession('datto-rmm', connector, FAKE_DATTO_RMM_CREDENTIALS, { baseUrl, ...extra })),
  );
const ASK = /does not report when an API key expires/;

describe('Datto RMM key expiry at setup', () => {
  it('with neither a date nor "never expires", the test says the expiry is unknown and asks for it', async () => {
    const result = await test({});
    expect(result.ok).toBe(true);
    expect(result.notes?.some((n) => ASK.test(n))).toBe(true);
    expect(result.expiries).toBeUndefined();
  });

  it('a date is watched; "never expires" is an answer too, and neither asks again', async () => {
    const dated = await test({ apiKeyExpiresAt: '2099-03-01' });
    expect(dated.expiries).toEqual([{ what: 'Datto RMM API key', at: '2099-03-01T00:00:00.000Z' }]);
    expect(dated.notes?.some((n) => ASK.test(n)) ?? false).toBe(false);
    const never = await test({ apiKeyNeverExpires: true });
    expect(never.notes?.some((n) => ASK.test(n)) ?? false).toBe(false);
  });
});
