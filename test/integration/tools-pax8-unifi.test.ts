import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findTool } from '../../shared/tools/catalog';
import { PAX8_TOOLS } from '../../shared/tools/pax8-tools';
import { UNIFI_TOOLS } from '../../shared/tools/unifi-tools';
import type { VendorId } from '../../shared/vendors/contract';
import { PAX8_MAX_PAGES, PAX8_PAGE_SIZE } from '../../shared/vendors/pax8/actions';
import { connectors } from '../../shared/vendors/registry';
import { UNIFI_MAX_PAGES, UNIFI_NETWORK_LIMIT } from '../../shared/vendors/unifi/listing';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import type { FakeRequest } from '../fakes/core/fake-server';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
import {
  PAX8_FAKE_COMPANY_ID,
  PAX8_FAKE_PRODUCT_ID,
  PAX8_FAKE_SUBSCRIPTION_ID,
  type Pax8Fake,
  type Pax8FakeRecord,
} from '../fakes/pax8';
import {
  UNIFI_FAKE_CREDENTIALS,
  UNIFI_FAKE_POLICY_ID,
  UNIFI_FAKE_SITE_ID,
  type UnifiFake,
  type UnifiFakeRecord,
} from '../fakes/unifi';

/**
 * The Pax8 and UniFi tools of docs/tools.md, each run against its vendor's fake over loopback as
 * the tool-call stage runs it (arguments as text, the way SOP templates render them). The Pax8 fake
 * is held to its spec slice (test/fixtures/vendor-specs/pax8), so every request here also passed
 * that check; the UniFi fake checks the shapes docs/vendor-fidelity.md records, by hand. Lists are
 * seeded beyond their cap to show where a read stops. The approval of the writes is exercised on
 * the processing stages in tools-approval-pax8-unifi.test.ts.
 */
let fakes: RunningFakes;

beforeAll(async () => {
  fakes = await startAllFakes();
});
afterEach(() => {
  for (const server of Object.values(fakes.servers)) server.reset();
});
afterAll(() => fakes?.stop());

const pax8 = () => fakes.servers.pax8 as Pax8Fake;
const unifi = () => fakes.servers.unifi as UnifiFake;
const network = () => ({ mode: 'network', consoleUrl: fakes.baseUrls.unifi });
const NETWORK = '/proxy/network/integration/v1';

async function run(toolId: string, args: Record<string, unknown>, config?: Record<string, unknown>) {
  const tool = findTool(toolId);
  if (!tool) throw new Error(`${toolId} is not in the catalog`);
  const vendor: VendorId = tool.vendor;
  const session = fakeSession(
    vendor,
    connectors[vendor],
    FAKE_CREDENTIALS[vendor],
    config ?? fakeConfig(vendor, fakes.baseUrls[vendor]),
  );
  return tool.execute(session, args);
}

function calls(vendor: VendorId): FakeRequest[] {
  return fakes.servers[vendor].requests.filter((r) => !/\/oauth\/token/.test(r.path));
}

function noRefusals(vendor: VendorId) {
  expect(fakes.servers[vendor].refusals, fakes.servers[vendor].describeRefusals()).toEqual([]);
}

/** Grows a fake's list for one test and puts it back afterwards. */
async function withRows<T>(rows: T[], extra: T[], fn: () => Promise<void>) {
  const before = rows.length;
  rows.push(...extra);
  try {
    await fn();
  } finally {
    rows.length = before;
  }
}

const TESTED = new Set<string>();
function tool(id: string, name: string, fn: () => Promise<void>) {
  TESTED.add(id);
  it(`${id}: ${name}`, fn);
}

const guid = (n: number) => `c1a0e8a2-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('Pax8 (held to the slice of its published description)', () => {
  tool('pax8.company.list', 'GET /v1/companies?page=0&size=200 with a bearer token', async () => {
    const result = await run('pax8.company.list', {});
    const [list, ...rest] = calls('pax8');
    expect(rest).toEqual([]);
    expect(list).toMatchObject({ method: 'GET', path: '/v1/companies', query: { page: '0', size: '200' } });
    expect(list!.headers.authorization).toMatch(/^Bearer pax8-[0-9a-f]+$/);
    expect(result.output).toMatchObject({ count: 3, capped: false, firstId: PAX8_FAKE_COMPANY_ID });
    expect(result.summary).toBe('3 customers, first "Contoso Ltd"');
    noRefusals('pax8');
  });

  tool('pax8.company.list', `stops after ${PAX8_MAX_PAGES} pages of ${PAX8_PAGE_SIZE} and says so`, async () => {
    const extra: Pax8FakeRecord[] = Array.from({ length: 1200 }, (_, i) => ({
      id: guid(0x1000 + i),
      name: `Customer ${i}`,
      status: 'Active',
    }));
    await withRows(pax8().companies, extra, async () => {
      const result = await run('pax8.company.list', { status: 'Active' });
      const sent = calls('pax8');
      expect(sent.map((r) => r.query.page)).toEqual(['0', '1', '2', '3', '4']);
      expect(sent.every((r) => r.query.status === 'Active' && r.query.size === '200')).toBe(true);
      expect(result.output).toMatchObject({ count: PAX8_MAX_PAGES * PAX8_PAGE_SIZE, capped: true });
      expect(result.summary).toMatch(/^1000\+ /);
    });
    noRefusals('pax8');
  });

  tool('pax8.subscription.list', 'GET /v1/subscriptions?companyId=… with the seat total', async () => {
    const result = await run('pax8.subscription.list', { companyId: PAX8_FAKE_COMPANY_ID });
    expect(calls('pax8')[0]).toMatchObject({
      path: '/v1/subscriptions',
      query: { companyId: PAX8_FAKE_COMPANY_ID, page: '0', size: '200' },
    });
    expect(result.output).toMatchObject({
      count: 1,
      firstId: PAX8_FAKE_SUBSCRIPTION_ID,
      firstName: 'Microsoft 365 Business Premium',
      seats: 10,
    });
    noRefusals('pax8');
  });

  tool('pax8.order.list', 'GET /v1/orders?companyId=…, paged', async () => {
    const extra = Array.from({ length: 201 }, (_, i) => ({ id: guid(0x9000 + i), companyId: PAX8_FAKE_COMPANY_ID }));
    await withRows(pax8().orders, extra, async () => {
      const result = await run('pax8.order.list', { companyId: PAX8_FAKE_COMPANY_ID });
      expect(calls('pax8').map((r) => `${r.path} ${r.query.page}`)).toEqual(['/v1/orders 0', '/v1/orders 1']);
      expect(result.output).toMatchObject({ count: 201, capped: false });
    });
    noRefusals('pax8');
  });

  tool(
    'pax8.order.place',
    'POST /v1/orders with one line item; dryRun sends isMock=true and orders nothing',
    async () => {
      expect(findTool('pax8.order.place')).toMatchObject({ writes: true, alwaysRequiresApproval: true });
      const args = {
        companyId: PAX8_FAKE_COMPANY_ID,
        productId: PAX8_FAKE_PRODUCT_ID,
        quantity: '5',
        billingTerm: 'Monthly',
        provisioningDetails: { msDomain: 'contoso', userEmailAddresses: ['a@contoso.com', 'b@contoso.com'] },
      };
      const dry = await run('pax8.order.place', { ...args, dryRun: 'true' });
      expect(pax8().orders).toEqual([]);
      const placed = await run('pax8.order.place', args);
      const [mock, real, ...rest] = calls('pax8');
      expect(rest).toEqual([]);
      expect(mock).toMatchObject({ method: 'POST', path: '/v1/orders', query: { isMock: 'true' } });
      expect(real).toMatchObject({ method: 'POST', path: '/v1/orders', query: {} });
      expect(real!.json).toEqual({
        companyId: PAX8_FAKE_COMPANY_ID,
        lineItems: [
          {
            productId: PAX8_FAKE_PRODUCT_ID,
            companyId: PAX8_FAKE_COMPANY_ID,
            lineItemNumber: 1,
            quantity: 5,
            billingTerm: 'Monthly',
            provisioningDetails: [
              { key: 'msDomain', values: ['contoso'] },
              { key: 'userEmailAddresses', values: ['a@contoso.com', 'b@contoso.com'] },
            ],
          },
        ],
      });
      expect(dry.output).toMatchObject({ dryRun: true, quantity: 5 });
      expect(dry.summary).toMatch(/dry run, nothing ordered/);
      expect(pax8().orders).toHaveLength(1);
      expect(placed.output).toEqual({ orderId: pax8().orders[0]!.id, dryRun: false, quantity: 5 });
      noRefusals('pax8');
      pax8().orders.length = 0;
    },
  );

  tool('pax8.subscription.set_quantity', 'PUT /v1/subscriptions/{id} {quantity}', async () => {
    expect(findTool('pax8.subscription.set_quantity')).toMatchObject({ writes: true, alwaysRequiresApproval: true });
    const result = await run('pax8.subscription.set_quantity', {
      subscriptionId: PAX8_FAKE_SUBSCRIPTION_ID,
      quantity: '12',
    });
    const [put, ...rest] = calls('pax8');
    expect(rest).toEqual([]);
    expect(put).toMatchObject({
      method: 'PUT',
      path: `/v1/subscriptions/${PAX8_FAKE_SUBSCRIPTION_ID}`,
      json: { quantity: 12 },
    });
    expect(result.output).toEqual({ subscriptionId: PAX8_FAKE_SUBSCRIPTION_ID, quantity: 12 });
    expect(pax8().subscriptions[0]!.quantity).toBe(12);
    pax8().subscriptions[0]!.quantity = 10;
    noRefusals('pax8');
  });

  it('the fake refuses an order or an update outside the description; the tools refuse bad arguments before sending', async () => {
    const token = await fetch(`${fakes.baseUrls.pax8}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: FAKE_CREDENTIALS.pax8!.clientId,
        client_secret: FAKE_CREDENTIALS.pax8!.clientSecret,
        audience: 'https://api.pax8.com',
        grant_type: 'client_credentials',
      }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const headers = { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' };
    const order = await fetch(`${fakes.baseUrls.pax8}/v1/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        companyId: PAX8_FAKE_COMPANY_ID,
        lineItems: [{ productId: 'not-a-uuid', quantity: 'five' }],
      }),
    });
    await order.arrayBuffer();
    expect(order.status).toBe(400);
    expect(pax8().refusals[0]?.violations.map((v) => v.at)).toEqual(
      expect.arrayContaining([
        'body.lineItems[0].productId',
        'body.lineItems[0].quantity',
        'body.lineItems[0].billingTerm',
        'body.lineItems[0].lineItemNumber',
      ]),
    );
    const update = await fetch(`${fakes.baseUrls.pax8}/v1/subscriptions/${PAX8_FAKE_SUBSCRIPTION_ID}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ currencyCode: 'USD' }),
    });
    await update.arrayBuffer();
    expect(update.status).toBe(422);
    expect(pax8().refusals).toHaveLength(2);
    expect(pax8().orders).toEqual([]);
    expect(pax8().subscriptions[0]!.quantity).toBe(10);

    pax8().reset();
    const place = findTool('pax8.order.place')!;
    expect(
      place.args.safeParse({ companyId: 'x', productId: PAX8_FAKE_PRODUCT_ID, quantity: 1, billingTerm: 'Monthly' })
        .success,
    ).toBe(false);
    expect(
      place.args.safeParse({
        companyId: PAX8_FAKE_COMPANY_ID,
        productId: PAX8_FAKE_PRODUCT_ID,
        quantity: 0,
        billingTerm: 'Monthly',
      }).success,
    ).toBe(false);
    expect(
      place.args.safeParse({
        companyId: PAX8_FAKE_COMPANY_ID,
        productId: PAX8_FAKE_PRODUCT_ID,
        quantity: 1,
        billingTerm: 'Weekly',
      }).success,
    ).toBe(false);
    // Pax8's own refusal (an unknown company) comes back as the vendor said it.
    const refused = await vendorErrorOf(
      run('pax8.order.place', {
        companyId: guid(0xdead),
        productId: PAX8_FAKE_PRODUCT_ID,
        quantity: '1',
        billingTerm: 'Monthly',
      }),
    );
    expect(refused).toMatchObject({ vendor: 'pax8', kind: 'rejected', httpStatus: 422 });
    expect(refused.vendorMessage).toMatch(/not found/);
  });
});

describe('UniFi (Site Manager and a console’s Network API)', () => {
  tool(
    'unifi.site.list',
    'Site Manager GET /v1/sites?pageSize=…; a console GET …/v1/sites?offset=0&limit=200',
    async () => {
      const cloud = await run('unifi.site.list', {});
      const local = await run('unifi.site.list', {}, network());
      const [first, second, ...rest] = calls('unifi');
      expect(rest).toEqual([]);
      expect(first).toMatchObject({ method: 'GET', path: '/v1/sites', query: { pageSize: '200' } });
      expect(second).toMatchObject({ method: 'GET', path: `${NETWORK}/sites`, query: { offset: '0', limit: '200' } });
      for (const r of [first!, second!]) expect(r.headers['x-api-key']).toBe(UNIFI_FAKE_CREDENTIALS.apiKey);
      expect(cloud.output).toMatchObject({ count: 1, firstId: '661900ae6aec8f548d49fd54', firstName: 'Default' });
      expect(local.output).toMatchObject({ count: 1, firstId: UNIFI_FAKE_SITE_ID, firstName: 'Default' });
      noRefusals('unifi');
    },
  );

  tool('unifi.site.list', 'follows nextToken and stops at the cap', async () => {
    const extra: UnifiFakeRecord[] = Array.from({ length: 1100 }, (_, i) => ({
      siteId: `s${i}`,
      meta: { desc: `Site ${i}` },
    }));
    await withRows(unifi().cloudSites, extra, async () => {
      const result = await run('unifi.site.list', {});
      const sent = calls('unifi');
      expect(sent.map((r) => r.query.nextToken)).toEqual([undefined, 'page-200', 'page-400', 'page-600', 'page-800']);
      expect(result.output).toMatchObject({ count: 1000, capped: true });
    });
  });

  tool('unifi.device.list', `a console pages with offset/limit and stops after ${UNIFI_MAX_PAGES} pages`, async () => {
    const extra: UnifiFakeRecord[] = Array.from({ length: 1001 }, (_, i) => ({
      id: `dev-${i}`,
      name: `AP ${i}`,
      state: 'ONLINE',
    }));
    await withRows(unifi().devices, extra, async () => {
      const result = await run('unifi.device.list', { siteId: UNIFI_FAKE_SITE_ID }, network());
      const sent = calls('unifi');
      expect(sent.every((r) => r.path === `${NETWORK}/sites/${UNIFI_FAKE_SITE_ID}/devices`)).toBe(true);
      expect(sent.map((r) => r.query.offset)).toEqual(['0', '200', '400', '600', '800']);
      expect(result.output).toMatchObject({ count: UNIFI_MAX_PAGES * UNIFI_NETWORK_LIMIT, capped: true, offline: 1 });
    });
    unifi().reset();
    const all = await run('unifi.device.list', { siteId: UNIFI_FAKE_SITE_ID }, network());
    expect(calls('unifi')).toHaveLength(1);
    expect(all.output).toMatchObject({ count: 2, capped: false, offline: 1, firstName: 'Office Gateway' });
    noRefusals('unifi');
  });

  tool(
    'unifi.device.list',
    'Site Manager GET /v1/devices, flattened per host; a site id there is refused unsent',
    async () => {
      const result = await run('unifi.device.list', {});
      expect(calls('unifi')[0]).toMatchObject({ path: '/v1/devices', query: { pageSize: '200' } });
      expect(result.output).toMatchObject({ count: 1, firstId: '942A6F000001', firstName: 'Office Gateway' });
      unifi().reset();
      expect(await vendorErrorOf(run('unifi.device.list', { siteId: UNIFI_FAKE_SITE_ID }))).toMatchObject({
        kind: 'not_found',
      });
      expect(await vendorErrorOf(run('unifi.device.list', {}, network()))).toMatchObject({ kind: 'rejected' });
      expect(calls('unifi')).toEqual([]);
    },
  );

  tool('unifi.client.list', 'GET …/sites/{siteId}/clients on a console; the Site Manager has none', async () => {
    const result = await run('unifi.client.list', { siteId: UNIFI_FAKE_SITE_ID }, network());
    expect(calls('unifi')[0]).toMatchObject({
      path: `${NETWORK}/sites/${UNIFI_FAKE_SITE_ID}/clients`,
      query: { offset: '0', limit: '200' },
    });
    expect(result.output).toMatchObject({ count: 1, firstName: 'Reception PC' });
    unifi().reset();
    expect(await vendorErrorOf(run('unifi.client.list', { siteId: UNIFI_FAKE_SITE_ID }))).toMatchObject({
      kind: 'not_found',
    });
    expect(calls('unifi')).toEqual([]);
  });

  tool('unifi.firewall.set_enabled', 'GET the policy, PUT it back with only `enabled` changed; once', async () => {
    expect(findTool('unifi.firewall.set_enabled')).toMatchObject({ writes: true, alwaysRequiresApproval: true });
    const policy = unifi().policies.get(UNIFI_FAKE_POLICY_ID)!;
    const args = { siteId: UNIFI_FAKE_SITE_ID, policyId: UNIFI_FAKE_POLICY_ID, enabled: 'false' };
    const result = await run('unifi.firewall.set_enabled', args, network());
    const path = `${NETWORK}/sites/${UNIFI_FAKE_SITE_ID}/firewall/policies/${UNIFI_FAKE_POLICY_ID}`;
    const [read, write, ...rest] = calls('unifi');
    expect(rest).toEqual([]);
    expect(read).toMatchObject({ method: 'GET', path });
    expect(write).toMatchObject({ method: 'PUT', path });
    expect(write!.headers['x-api-key']).toBe(UNIFI_FAKE_CREDENTIALS.apiKey);
    expect(Object.keys(write!.json as object).sort()).toEqual(
      ['action', 'description', 'destination', 'enabled', 'ipProtocolScope', 'loggingEnabled', 'name', 'source'].sort(),
    );
    expect(write!.json).toMatchObject({ enabled: false, name: 'Block guest to LAN', action: { type: 'BLOCK' } });
    expect(policy.enabled).toBe(false);
    expect(result).toEqual({
      summary: 'firewall policy "Block guest to LAN" disabled',
      output: { policyId: UNIFI_FAKE_POLICY_ID, enabled: false, changed: true },
    });
    // Already in that state: read, nothing written.
    unifi().reset();
    const again = await run('unifi.firewall.set_enabled', args, network());
    expect(calls('unifi').map((r) => r.method)).toEqual(['GET']);
    expect(again.output.changed).toBe(false);
    await run('unifi.firewall.set_enabled', { ...args, enabled: true }, network());
    expect(policy.enabled).toBe(true);
    noRefusals('unifi');
    unifi().reset();
    expect(await vendorErrorOf(run('unifi.firewall.set_enabled', args))).toMatchObject({ kind: 'not_found' });
    expect(calls('unifi')).toEqual([]);
  });

  it('the fake refuses a policy write with read-only or missing fields, and a page beyond the documented limit', async () => {
    const path = `${NETWORK}/sites/${UNIFI_FAKE_SITE_ID}/firewall/policies/${UNIFI_FAKE_POLICY_ID}`;
    const headers = { 'x-api-key': UNIFI_FAKE_CREDENTIALS.apiKey, 'content-type': 'application/json' };
    const res = await fetch(`${fakes.baseUrls.unifi}${path}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ id: UNIFI_FAKE_POLICY_ID, enabled: false, index: 1, metadata: {} }),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(400);
    expect(unifi().refusals[0]?.violations.map((v) => v.at)).toEqual(
      expect.arrayContaining([
        'body.name',
        'body.action',
        'body.loggingEnabled',
        'body.id',
        'body.index',
        'body.metadata',
      ]),
    );
    expect(unifi().policies.get(UNIFI_FAKE_POLICY_ID)!.enabled).toBe(true);
    const page = await fetch(`${fakes.baseUrls.unifi}${NETWORK}/sites?limit=500`, { headers });
    await page.arrayBuffer();
    expect(page.status).toBe(400);
    expect(unifi().refusals[1]?.violations.map((v) => v.at)).toEqual(['query.limit']);
    const tool = findTool('unifi.firewall.set_enabled')!;
    expect(tool.args.safeParse({ siteId: '..', policyId: UNIFI_FAKE_POLICY_ID, enabled: true }).success).toBe(false);
    expect(
      tool.args.safeParse({ siteId: UNIFI_FAKE_SITE_ID, policyId: UNIFI_FAKE_POLICY_ID, enabled: 'yes' }).success,
    ).toBe(false);
  });
});

it('every Pax8 and UniFi tool has a case above; every write waits for an approval', () => {
  const ids = [...PAX8_TOOLS, ...UNIFI_TOOLS].map((t) => t.id);
  expect(ids.filter((id) => !TESTED.has(id))).toEqual([]);
  for (const t of [...PAX8_TOOLS, ...UNIFI_TOOLS]) {
    expect({ id: t.id, approval: t.alwaysRequiresApproval }).toEqual({ id: t.id, approval: t.writes });
  }
});
