import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeOnce, toTestResult } from '../../shared/integrations/probe-once';
import { createItGlueConnector, ITGLUE_REGIONS, type ItGlueRegion } from '../../shared/vendors/itglue';
import { fakeSession } from '../fakes/core/session';
import { FAKE_ITGLUE_CREDENTIALS, ItGlueFake } from '../fakes/itglue';

/**
 * Onboarding IT Glue (docs/integrations.md, "Regions and zones"): the connection test reports the
 * region it detected, and a key refused by the region the admin set gets a region hint rather than
 * "re-enter the key" — without the key being sent to any other region.
 */
const fakes: Record<ItGlueRegion, ItGlueFake> = {
  us: new ItGlueFake('us', 'eu'),
  eu: new ItGlueFake('eu', 'eu'),
  au: new ItGlueFake('au', 'eu'),
};
const hosts = {} as Record<ItGlueRegion, string>;

beforeAll(async () => {
  for (const region of ITGLUE_REGIONS) hosts[region] = await fakes[region].start();
});
afterAll(async () => {
  await Promise.all(ITGLUE_REGIONS.map((r) => fakes[r].stop()));
});

describe('IT Glue onboarding', () => {
  it('a test with a blank region reports the region it detected', async () => {
    const itglue = createItGlueConnector(hosts);
    const result = toTestResult(await probeOnce(itglue, fakeSession('itglue', itglue, FAKE_ITGLUE_CREDENTIALS, {})));
    expect(result).toMatchObject({ ok: true, detectedConfig: { region: 'eu' } });
    expect(result.notes).toEqual(['The API key belongs to the EU region.']);
  });

  it('a wrongly set region gets a region hint, not "re-enter the key", and the key goes nowhere else', async () => {
    for (const fake of Object.values(fakes)) fake.reset();
    const itglue = createItGlueConnector(hosts);
    const result = toTestResult(
      await probeOnce(itglue, fakeSession('itglue', itglue, FAKE_ITGLUE_CREDENTIALS, { region: 'au' })),
    );
    expect(result).toMatchObject({ ok: false, status: 'needs_attention', vendorStatus: 401 });
    expect(result.hint).toContain('set the region to the account');
    expect(result.hint).not.toMatch(/^Re-enter/);
    expect([fakes.us, fakes.eu, fakes.au].map((f) => f.requests.length)).toEqual([0, 0, 1]);
  });

  it('a key refused at a base URL (no region involved) still asks for the key', async () => {
    const itglue = createItGlueConnector(hosts);
    const result = toTestResult(
      await probeOnce(itglue, fakeSession('itglue', itglue, { apiKey: 'ITG.wrong' }, { baseUrl: hosts.eu })),
    );
    expect(result.hint).toMatch(/^Re-enter the API key/);
  });
});
