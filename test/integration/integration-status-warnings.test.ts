import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntegration } from '../../shared/integrations/integrations';
import { integrationStatusReport } from '../../shared/probes/status';
import { statusWarnings } from '../../shared/probes/status-warnings';
import type { VendorId } from '../../shared/vendors/contract';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import { DattoRmmFake } from '../fakes/datto-rmm';
import {
  adminOf,
  type Harness,
  harness,
  installLocalSettings,
  RecordingBus,
  statusDepsFor,
} from '../support/integrations-harness';

/**
 * Standing warnings on the integration status (shared/probes/status-warnings.ts), against Azurite:
 * a Datto integration saved before the key expiry was required at create (docs/decisions.md §58)
 * carries `expiry_unknown` with the field to fill in; one saved with a date or "never expires", and
 * any other vendor, carries none.
 */
const rmm = new DattoRmmFake();
let h: Harness;

beforeAll(async () => {
  installLocalSettings();
  h = harness();
  await rmm.start();
});
afterAll(() => rmm.stop());

async function saved(tenantId: string, vendor: VendorId, config: Record<string, unknown>): Promise<string> {
  const created = await createIntegration(
    h.integrations,
    adminOf(tenantId),
    { vendor, name: `${vendor} under test`, credentials: FAKE_CREDENTIALS[vendor], config },
    { skipTest: true, correlationId: 'corr-test' },
  );
  return created.id;
}

describe('integration status warnings', () => {
  it('a Datto RMM integration saved without a key expiry shows expiry_unknown; one with an answer shows none', async () => {
    const tenantId = adminOf().tenantId;
    // The fakes' config answers the expiry already; a config of before §58 had neither field.
    const { apiKeyExpiresAt: _date, apiKeyNeverExpires: _never, ...base } = fakeConfig('datto-rmm', rmm.baseUrl);
    const legacy = await saved(tenantId, 'datto-rmm', { ...base, apiKeyNeverExpires: true });
    // As it was saved before the expiry became required: the answer is not in its config.
    await h.integrations.tables.integrations.update(tenantId, legacy, (current) =>
      current ? { ...current, config: JSON.stringify(base) } : undefined,
    );
    const dated = await saved(tenantId, 'datto-rmm', { ...base, apiKeyExpiresAt: '2099-03-01' });

    const report = await integrationStatusReport(statusDepsFor(h, new RecordingBus()), tenantId);
    const byId = new Map(report.items.map((i) => [i.integrationId, i]));
    expect(byId.get(legacy)?.warnings).toEqual([
      { code: 'expiry_unknown', field: 'config.apiKeyExpiresAt', hint: expect.stringMatching(/PATCH/) },
    ]);
    expect(byId.get(legacy)?.warnings[0]?.hint).not.toContain('Nothing was saved');
    expect(byId.get(dated)?.warnings).toEqual([]);
  });

  it('Datto EDR asks for tokenExpiresAt; other vendors and unreadable configs have no warning', () => {
    expect(statusWarnings('datto-edr', JSON.stringify({ baseUrl: 'https://x.example' }))).toMatchObject([
      { code: 'expiry_unknown', field: 'config.tokenExpiresAt' },
    ]);
    expect(statusWarnings('datto-edr', JSON.stringify({ tokenCreatedAt: '2026-01-01' }))).toEqual([]);
    expect(statusWarnings('itglue', '{}')).toEqual([]);
    expect(statusWarnings('datto-rmm', 'not json')).toEqual([]);
  });
});
