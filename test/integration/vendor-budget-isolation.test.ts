import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import {
  createIntegration,
  openIntegrationSession,
  testUnsavedConnection,
} from '../../shared/integrations/integrations';
import { probeOnce, toTestResult } from '../../shared/integrations/probe-once';
import { UNSAVED_TEST_BUDGET } from '../../shared/integrations/sessions';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { adminOf, type Harness, harness, installLocalSettings } from '../support/integrations-harness';

/**
 * One tenant cannot spend another tenant's vendor budget (docs/integrations.md "Rate limits"):
 * budgets are keyed by tenant and a keyed hash of the credentials, and unsaved tests spend a small
 * budget of their own tenant. Over real HTTP to the Datto EDR fake (whose budget used to be keyed
 * by the EDR host alone, 300 a minute).
 */
let fakes: RunningFakes;
let h: Harness;

beforeAll(async () => {
  installLocalSettings();
  h = harness();
  fakes = await startAllFakes();
});
afterAll(async () => {
  await fakes?.stop();
});
let restoreClock: (() => void) | undefined;
afterEach(() => restoreClock?.());

describe('vendor budgets per tenant and credential', () => {
  it("tenant B's 350 unsaved tests against tenant A's EDR host leave A's next call unaffected", async () => {
    // A still clock: the budgets' windows cannot roll over while the 350 tests run.
    restoreClock = installClock(new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 30)));
    const a = adminOf();
    const b = adminOf();
    const config = fakeConfig('datto-edr', fakes.baseUrls['datto-edr']);
    const created = await createIntegration(
      h.integrations,
      a,
      { vendor: 'datto-edr', name: 'A', credentials: FAKE_CREDENTIALS['datto-edr'], config },
      { skipTest: true, correlationId: 'budget-a' },
    );

    const before = fakes.servers['datto-edr'].requests.length;
    const outcomes: string[] = [];
    for (let i = 0; i < 350; i++) {
      const result = await testUnsavedConnection(
        b,
        { vendor: 'datto-edr', credentials: { apiToken: `wrong-token-${i % 7}` }, config },
        `budget-b-${i}`,
      );
      outcomes.push(result.vendorStatus === null ? 'not-sent' : String(result.vendorStatus));
    }
    // B's tests reached the vendor until B's own small budget for unsaved tests was spent, then stopped.
    const sent = fakes.servers['datto-edr'].requests.length - before;
    expect(sent).toBe(UNSAVED_TEST_BUDGET.requests);
    expect(outcomes.filter((o) => o === '401')).toHaveLength(UNSAVED_TEST_BUDGET.requests);
    expect(outcomes.filter((o) => o === 'not-sent')).toHaveLength(350 - UNSAVED_TEST_BUDGET.requests);

    // A's saved integration spends its own budget: the probe goes out and succeeds.
    const { connector, session } = await openIntegrationSession(h.integrations, a.tenantId, created.id, 'budget-a-2');
    const run = toTestResult(await probeOnce(connector, session));
    expect(run).toMatchObject({ ok: true, vendorStatus: 200 });

    // And A's own unsaved tests are not held up by B's either.
    const own = await testUnsavedConnection(
      a,
      { vendor: 'datto-edr', credentials: FAKE_CREDENTIALS['datto-edr'], config },
      'budget-a-3',
    );
    expect(own).toMatchObject({ ok: true, vendorStatus: 200 });
  });
});
