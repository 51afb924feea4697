import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { approvalId, decideApproval, getApproval } from '../../shared/approvals/approvals';
import { approvalDeps } from '../../shared/approvals/deps';
import { setProcessBus } from '../../shared/bus/process-bus';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import type { NormalizedEvent } from '../../shared/events/contract';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/sops';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import {
  createPax8Fake,
  PAX8_FAKE_COMPANY_ID,
  PAX8_FAKE_CREDENTIALS,
  PAX8_FAKE_PRODUCT_ID,
  PAX8_FAKE_SUBSCRIPTION_ID,
} from '../fakes/pax8';
import { createUnifiFake, UNIFI_FAKE_CREDENTIALS, UNIFI_FAKE_POLICY_ID, UNIFI_FAKE_SITE_ID } from '../fakes/unifi';
import { installLocalSettings } from '../support/local-settings';
import { PrefixedBus } from '../support/prefixed-bus';
import {
  eventInStatus,
  type ProcessingStages,
  startProcessingStages,
  submitAtSopMatching,
} from '../support/processing-stages';

/**
 * The Pax8 and UniFi writes on the processing stages (SOP matching → agent dispatch → agent
 * execution → tool call) with real Azurite, wired as pipeline-processing.test.ts wires them: each
 * always needs an approval (the SOP step does not ask for one), nothing reaches the vendor while it
 * waits, and approving runs the write exactly once.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const tenantId = `pax8unifi-${randomUUID().slice(0, 8)}`;
const principal: Principal = { tenantId, keyId: 'test-key', scopes: ['admin'] };
const FAST = { baseMs: 100, maxMs: 400, maxRetries: 3 };

const pax8 = createPax8Fake();
const unifi = createUnifiFake();
let stages: ProcessingStages | undefined;
let bus: PrefixedBus;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'warn';
  installLocalSettings();
  bus = new PrefixedBus(new StorageQueueBus(account, { lockDurationSeconds: 5, maxHideSeconds: 1 }));
  setProcessBus(bus);
  await pax8.start();
  await unifi.start();
  const setup = { skipTest: true, correlationId: 'setup' };
  await createIntegration(
    integrationDeps(),
    principal,
    {
      vendor: 'pax8',
      name: 'Pax8',
      credentials: PAX8_FAKE_CREDENTIALS,
      config: { baseUrl: `${pax8.baseUrl}/v1`, tokenUrl: `${pax8.baseUrl}/oauth/token` },
    },
    setup,
  );
  await createIntegration(
    integrationDeps(),
    principal,
    {
      vendor: 'unifi',
      name: 'Office console',
      credentials: UNIFI_FAKE_CREDENTIALS,
      config: { mode: 'network', consoleUrl: unifi.baseUrl },
    },
    setup,
  );
  const sop = (name: string, keyword: string, step: { tool: string; args: Record<string, string> }) =>
    createSop(
      sopDeps(),
      principal,
      {
        name,
        enabled: true,
        match: { source: 'autotask', keywords: [keyword], priority: 100 },
        steps: [{ ...step, requiresApproval: false }],
      },
      'setup',
    );
  await sop('New starter: order a licence', 'new_starter', {
    tool: 'pax8.order.place',
    args: {
      companyId: '{{event.entities.companyId}}',
      productId: PAX8_FAKE_PRODUCT_ID,
      quantity: '1',
      billingTerm: 'Monthly',
    },
  });
  await sop('Leaver: one seat fewer', 'leaver', {
    tool: 'pax8.subscription.set_quantity',
    args: { subscriptionId: '{{event.entities.subscriptionId}}', quantity: '9' },
  });
  await sop('Guest abuse: block guests', 'guest_abuse', {
    tool: 'unifi.firewall.set_enabled',
    args: { siteId: UNIFI_FAKE_SITE_ID, policyId: '{{event.entities.policyId}}', enabled: 'true' },
  });
  stages = startProcessingStages(bus, FAST);
}, 60_000);

afterAll(async () => {
  await stages?.stop();
  await pax8.stop();
  await unifi.stop();
  setProcessBus(undefined);
});

const submit = (overrides: Partial<NormalizedEvent>) =>
  submitAtSopMatching(bus, tenantId, overrides, new Date().toISOString());
const settled = (eventId: string, statuses = ['succeeded', 'failed']) =>
  eventInStatus(tenantId, eventId, statuses, 60_000);

/** Submits the event, checks the approval waits with nothing sent, approves, and waits for success. */
async function approveAndRun(overrides: Partial<NormalizedEvent>, tool: string, sentSoFar: () => number) {
  const eventId = await submit(overrides);
  await settled(eventId, ['awaiting_approval']);
  expect(sentSoFar()).toBe(0);
  const id = approvalId(eventId, 0);
  expect(await getApproval(approvalDeps(), tenantId, id)).toMatchObject({ status: 'pending', tool });
  await decideApproval(approvalDeps(), principal, id, 'approved', 'ok', 'test');
  // Approving again is the same decision: no second write.
  await decideApproval(approvalDeps(), principal, id, 'approved', undefined, 'test');
  expect((await settled(eventId)).status).toBe('succeeded');
}

describe('Pax8 and UniFi writes wait for an approval', () => {
  it('placing a Pax8 order: nothing is ordered until approved, then exactly one order', async () => {
    const orders = () => pax8.received('POST', '/v1/orders');
    await approveAndRun(
      { keywords: ['new_starter'], subject: 'New starter', entities: { companyId: PAX8_FAKE_COMPANY_ID } },
      'pax8.order.place',
      () => orders().length,
    );
    expect(orders().map((r) => r.json)).toEqual([
      {
        companyId: PAX8_FAKE_COMPANY_ID,
        lineItems: [
          {
            productId: PAX8_FAKE_PRODUCT_ID,
            companyId: PAX8_FAKE_COMPANY_ID,
            lineItemNumber: 1,
            quantity: 1,
            billingTerm: 'Monthly',
          },
        ],
      },
    ]);
    expect(pax8.orders).toHaveLength(1);
    expect(pax8.refusals).toEqual([]);
  });

  it('changing a Pax8 quantity: unchanged until approved, then one PUT', async () => {
    const puts = () => pax8.received('PUT', `/v1/subscriptions/${PAX8_FAKE_SUBSCRIPTION_ID}`);
    await approveAndRun(
      { keywords: ['leaver'], subject: 'Leaver', entities: { subscriptionId: PAX8_FAKE_SUBSCRIPTION_ID } },
      'pax8.subscription.set_quantity',
      () => puts().length,
    );
    expect(puts().map((r) => r.json)).toEqual([{ quantity: 9 }]);
    expect(pax8.subscriptions[0]!.quantity).toBe(9);
  });

  it('a UniFi firewall change: the policy stays as it is until approved, then one PUT', async () => {
    const policy = unifi.policies.get(UNIFI_FAKE_POLICY_ID)!;
    policy.enabled = false;
    const path = `/proxy/network/integration/v1/sites/${UNIFI_FAKE_SITE_ID}/firewall/policies/${UNIFI_FAKE_POLICY_ID}`;
    await approveAndRun(
      { keywords: ['guest_abuse'], subject: 'Guest abuse', entities: { policyId: UNIFI_FAKE_POLICY_ID } },
      'unifi.firewall.set_enabled',
      () => unifi.received('GET', path).length + unifi.received('PUT', path).length,
    );
    expect(unifi.received('PUT', path)).toHaveLength(1);
    expect(policy.enabled).toBe(true);
    expect(unifi.refusals).toEqual([]);
  });
});
