import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTOTASK_TOOLS } from '../../shared/tools/autotask-tools';
import { findTool } from '../../shared/tools/catalog';
import { ITGLUE_TOOLS } from '../../shared/tools/itglue-tools';
import { MICROSOFT365_TOOLS } from '../../shared/tools/microsoft365-tools';
import type { VendorId } from '../../shared/vendors/contract';
import { connectors } from '../../shared/vendors/registry';
import type { AutotaskFake } from '../fakes/autotask';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import type { FakeRequest } from '../fakes/core/fake-server';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
import { FAKE_ITGLUE_PASSWORDS, type ItGlueFake } from '../fakes/itglue';
import { M365_FAKE_SKU_ID, M365_FAKE_TENANT, type M365FakeServer } from '../fakes/microsoft365';

/**
 * The Autotask, Microsoft 365 and IT Glue tools of docs/tools.md, each run against its vendor's
 * fake over loopback as the tool-call stage runs it. Autotask's fake is held to its spec slice
 * (test/fixtures/vendor-specs/autotask), so every request here also passed that check; Graph and
 * IT Glue fakes check by hand. Lists page with each vendor's own paging.
 */
let fakes: RunningFakes;

beforeAll(async () => {
  fakes = await startAllFakes();
});
afterEach(() => {
  for (const server of Object.values(fakes.servers)) server.reset();
});
afterAll(() => fakes?.stop());

const autotask = () => fakes.servers.autotask as AutotaskFake;
const graph = () => fakes.servers.microsoft365 as M365FakeServer;
const itglue = () => fakes.servers.itglue as ItGlueFake;

async function run(toolId: string, args: Record<string, unknown>) {
  const tool = findTool(toolId);
  if (!tool) throw new Error(`${toolId} is not in the catalog`);
  const vendor: VendorId = tool.vendor;
  const session = fakeSession(
    vendor,
    connectors[vendor],
    FAKE_CREDENTIALS[vendor],
    fakeConfig(vendor, fakes.baseUrls[vendor]),
  );
  return tool.execute(session, args);
}

function calls(vendor: VendorId): FakeRequest[] {
  return fakes.servers[vendor].requests.filter((r) => !/\/oauth2?\/|\/auth\/token|ZoneInformation/i.test(r.path));
}

function noRefusals(vendor: VendorId) {
  expect(fakes.servers[vendor].refusals, fakes.servers[vendor].describeRefusals()).toEqual([]);
}

const TESTED = new Set<string>();
function tool(id: string, name: string, fn: () => Promise<void>) {
  TESTED.add(id);
  it(`${id}: ${name}`, fn);
}

describe('Autotask (query API and writes, held to the slice)', () => {
  tool('autotask.ticket.query', 'POST Tickets/query with the default filter (not Complete)', async () => {
    const result = await run('autotask.ticket.query', {});
    const [query, ...rest] = calls('autotask');
    expect(rest).toEqual([]);
    expect(query).toMatchObject({
      method: 'POST',
      path: '/ATServicesRest/V1.0/Tickets/query',
      json: { filter: [{ op: 'noteq', field: 'status', value: 5 }], MaxRecords: 500 },
    });
    expect(result.output).toMatchObject({ count: 2, capped: false, ids: '4711,4712', firstId: '4711' });
    noRefusals('autotask');
  });

  tool('autotask.company.query', 'follows pageDetails.nextPageUrl (GET query/next) until the last page', async () => {
    autotask().pageSize = 1;
    try {
      const result = await run('autotask.company.query', {
        filter: [
          {
            op: 'or',
            items: [
              { op: 'eq', field: 'isActive', value: true },
              { op: 'gte', field: 'id', value: 0 },
            ],
          },
        ],
        includeFields: ['companyName'],
      });
      const sent = calls('autotask');
      expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /ATServicesRest/V1.0/Companies/query',
        'GET /ATServicesRest/V1.0/Companies/query/next',
      ]);
      expect(sent[0]!.json).toMatchObject({ IncludeFields: ['id', 'companyName'] });
      expect(sent[1]!.headers.apiintegrationcode).toBeDefined();
      expect(result.output).toMatchObject({ count: 2, capped: false, ids: '101,102', firstName: 'Fake Customer Ltd' });
      noRefusals('autotask');
    } finally {
      autotask().pageSize = 500;
    }
  });

  tool('autotask.resource.query', 'stops at maxRecords and says the read was capped', async () => {
    autotask().pageSize = 1;
    try {
      const result = await run('autotask.resource.query', {
        filter: [{ op: 'exist', field: 'email' }],
        maxRecords: '1',
      });
      expect(calls('autotask')).toHaveLength(1);
      expect(result.output).toMatchObject({ count: 1, capped: true, ids: '29682885' });
      expect(result.summary).toBe('1+ resource, first "Ada Tech"');
    } finally {
      autotask().pageSize = 500;
    }
  });

  it('a filter outside the format is refused before anything is sent; an unknown field is the vendor’s refusal', async () => {
    const tool = findTool('autotask.ticket.query')!;
    expect(tool.args.safeParse({ filter: [{ op: 'like', field: 'title', value: 'x' }] }).success).toBe(false);
    expect(tool.args.safeParse({ filter: [{ op: 'eq', field: 'title;drop' }] }).success).toBe(false);
    expect(tool.args.safeParse({ filter: [] }).success).toBe(false);
    const error = await vendorErrorOf(
      run('autotask.ticket.query', { filter: [{ op: 'eq', field: 'nosuch', value: 1 }] }),
    );
    expect(error).toMatchObject({ vendor: 'autotask', httpStatus: 500 });
    expect(error.vendorMessage).toMatch(/nosuch/);
  });

  tool('autotask.ticket.update', 'PATCH Tickets with only the fields given', async () => {
    const result = await run('autotask.ticket.update', {
      ticketId: '4711',
      priority: '1',
      queueID: '29683',
      title: 'Printer offline (2nd floor)',
    });
    const [patch, ...rest] = calls('autotask');
    expect(rest).toEqual([]);
    expect(patch).toMatchObject({
      method: 'PATCH',
      path: '/ATServicesRest/V1.0/Tickets',
      json: { id: 4711, priority: 1, queueID: 29683, title: 'Printer offline (2nd floor)' },
    });
    expect(Object.keys(patch!.json as object).sort()).toEqual(['id', 'priority', 'queueID', 'title']);
    expect(result.summary).toBe('ticket 4711 updated (priority, queueID, title)');
    expect(findTool('autotask.ticket.update')!.args.safeParse({ ticketId: 1 }).success).toBe(false);
    noRefusals('autotask');
  });

  tool(
    'autotask.time_entry.add',
    'POST TimeEntries {ticketID, resourceID, roleID, dateWorked, hoursWorked, summaryNotes}',
    async () => {
      const result = await run('autotask.time_entry.add', {
        ticketId: '4711',
        resourceId: '29682885',
        roleId: '29683461',
        dateWorked: '2026-03-02',
        hoursWorked: '0.25',
        summaryNotes: 'Cleared the queue',
      });
      const [entry, ...rest] = calls('autotask');
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({
        method: 'POST',
        path: '/ATServicesRest/V1.0/TimeEntries',
        json: {
          ticketID: 4711,
          resourceID: 29682885,
          roleID: 29683461,
          dateWorked: '2026-03-02T00:00:00',
          hoursWorked: 0.25,
          summaryNotes: 'Cleared the queue',
        },
      });
      expect(result.output.timeEntryId).toEqual(expect.any(Number));
      noRefusals('autotask');
    },
  );

  it('the slice refuses a time entry without its required fields (the fake is held to it)', async () => {
    const res = await fetch(`${fakes.baseUrls.autotask}/ATServicesRest/V1.0/TimeEntries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticketID: 4711, hoursWorked: 1 }),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(500);
    expect(autotask().refusals[0]?.violations.map((v) => v.at)).toEqual(
      expect.arrayContaining(['body.resourceID', 'body.roleID', 'body.summaryNotes']),
    );
  });
});

describe('Microsoft 365 (directory reads, approval-gated lifecycle writes)', () => {
  const upn = `adelev@${M365_FAKE_TENANT}`;

  tool('microsoft365.user.list', 'GET /v1.0/users with $select/$top, following @odata.nextLink', async () => {
    const fake = graph();
    const before = fake.users.length;
    fake.users.push({
      id: 'a2f8c2e4-0000-4000-8000-000000000002',
      displayName: 'Ben Left',
      userPrincipalName: `benl@${M365_FAKE_TENANT}`,
      accountEnabled: false,
    });
    fake.directoryPageSize = 1;
    try {
      const result = await run('microsoft365.user.list', {});
      const sent = calls('microsoft365');
      expect(sent.map((r) => r.path)).toEqual(['/v1.0/users', '/v1.0/users']);
      expect(sent[0]!.query).toMatchObject({
        $top: '100',
        $select: 'id,displayName,userPrincipalName,accountEnabled,mail',
      });
      expect(sent[1]!.query.$skiptoken).toBe('1');
      expect(result.output).toMatchObject({ count: 2, capped: false, disabled: 1, firstName: upn });
    } finally {
      fake.users.length = before;
      fake.directoryPageSize = 999;
    }
  });

  tool('microsoft365.group.list', 'GET /v1.0/groups', async () => {
    const result = await run('microsoft365.group.list', {});
    expect(calls('microsoft365').map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1.0/groups']);
    expect(result.output).toMatchObject({ count: 2, firstName: 'HR Taskforce' });
  });

  tool('microsoft365.mailbox.settings', 'GET /v1.0/users/{upn}/mailboxSettings', async () => {
    const result = await run('microsoft365.mailbox.settings', { user: upn });
    expect(calls('microsoft365').map((r) => r.path)).toEqual([
      `/v1.0/users/${encodeURIComponent(upn)}/mailboxSettings`,
    ]);
    expect(result.output).toEqual({
      timeZone: 'W. Europe Standard Time',
      language: 'en-GB',
      automaticRepliesStatus: 'disabled',
      delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
    });
  });

  tool('microsoft365.license.subscribed', 'GET /v1.0/subscribedSkus with the unassigned count', async () => {
    const result = await run('microsoft365.license.subscribed', {});
    expect(result.output).toMatchObject({
      count: 1,
      firstId: M365_FAKE_SKU_ID,
      firstName: 'O365_BUSINESS_PREMIUM',
      unassigned: 4,
    });
  });

  tool(
    'microsoft365.license.assign',
    'POST assignLicense {addLicenses:[{skuId, disabledPlans}], removeLicenses:[]}',
    async () => {
      const fake = graph();
      const userId = fake.users[0]!.id;
      // Graph refuses a licence for a user without a usage location: the vendor's refusal, as it says it.
      const refused = await vendorErrorOf(run('microsoft365.license.assign', { user: upn, skuId: M365_FAKE_SKU_ID }));
      expect(refused).toMatchObject({ kind: 'rejected', httpStatus: 400 });
      expect(refused.vendorMessage).toMatch(/usage location/);
      fake.usageLocation.set(userId, 'GB');
      await run('microsoft365.license.assign', { user: upn, skuId: M365_FAKE_SKU_ID });
      const sent = calls('microsoft365').filter((r) => r.method === 'POST');
      expect(sent.at(-1)).toMatchObject({
        path: `/v1.0/users/${encodeURIComponent(upn)}/assignLicense`,
        json: { addLicenses: [{ skuId: M365_FAKE_SKU_ID, disabledPlans: [] }], removeLicenses: [] },
      });
      expect([...(fake.assigned.get(userId) ?? [])]).toEqual([M365_FAKE_SKU_ID]);
    },
  );

  tool('microsoft365.license.assigned', 'GET /v1.0/users/{upn}/licenseDetails', async () => {
    const result = await run('microsoft365.license.assigned', { user: upn });
    expect(calls('microsoft365').map((r) => r.path)).toEqual([`/v1.0/users/${encodeURIComponent(upn)}/licenseDetails`]);
    expect(result.output).toMatchObject({ count: 1, firstId: M365_FAKE_SKU_ID });
  });

  tool('microsoft365.license.remove', 'POST assignLicense with the SKU in removeLicenses', async () => {
    const fake = graph();
    await run('microsoft365.license.remove', { user: upn, skuId: M365_FAKE_SKU_ID });
    expect(calls('microsoft365')[0]).toMatchObject({
      method: 'POST',
      json: { addLicenses: [], removeLicenses: [M365_FAKE_SKU_ID] },
    });
    expect([...(fake.assigned.get(fake.users[0]!.id) ?? [])]).toEqual([]);
  });

  tool(
    'microsoft365.user.reset_password',
    'PATCH passwordProfile with a random value the result keeps out of its output',
    async () => {
      const fake = graph();
      const result = await run('microsoft365.user.reset_password', { user: upn });
      const [patch, ...rest] = calls('microsoft365');
      expect(rest).toEqual([]);
      expect(patch).toMatchObject({ method: 'PATCH', path: `/v1.0/users/${encodeURIComponent(upn)}` });
      const set = fake.passwordSet.get(fake.users[0]!.id)!;
      expect(set.forceChangePasswordNextSignIn).toBe(true);
      expect(set.password).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[^A-Za-z0-9]).{32}$/);
      expect(result.secret?.value).toBe(set.password);
      expect(JSON.stringify({ summary: result.summary, output: result.output })).not.toContain(set.password);
    },
  );

  tool('microsoft365.user.block_sign_in', 'PATCH /v1.0/users/{upn} {accountEnabled:false}', async () => {
    const fake = graph();
    await run('microsoft365.user.block_sign_in', { user: upn });
    expect(calls('microsoft365')[0]).toMatchObject({ method: 'PATCH', json: { accountEnabled: false } });
    expect(fake.users[0]!.accountEnabled).toBe(false);
    fake.users[0]!.accountEnabled = true;
  });

  it('every Microsoft 365 write always waits for an approval; every read is declared read-only', () => {
    for (const t of MICROSOFT365_TOOLS) {
      expect({ id: t.id, approval: t.alwaysRequiresApproval }).toEqual({ id: t.id, approval: t.writes });
    }
  });
});

describe('IT Glue (read only; the password value only through the approval-gated reveal)', () => {
  tool('itglue.organization.list', 'GET /organizations with page[size] and page[number]', async () => {
    const result = await run('itglue.organization.list', {});
    expect(calls('itglue')[0]).toMatchObject({
      method: 'GET',
      path: '/organizations',
      query: { 'page[size]': '100', 'page[number]': '1' },
    });
    expect(result.output).toMatchObject({ count: 1, firstId: '1001', firstName: 'Fake Customer Ltd' });
  });

  tool('itglue.configuration.list', 'GET /configurations?filter[organization_id]=…', async () => {
    const result = await run('itglue.configuration.list', { organizationId: '1001' });
    expect(calls('itglue')[0]).toMatchObject({ path: '/configurations', query: { 'filter[organization_id]': '1001' } });
    expect(result.output).toMatchObject({ count: 1, firstName: 'SRV01' });
  });

  tool('itglue.password.list', 'pages with meta.next-page and never carries a value', async () => {
    itglue().passwordPageSize = 2;
    try {
      const result = await run('itglue.password.list', { organizationId: '1001' });
      expect(calls('itglue').map((r) => r.query['page[number]'])).toEqual(['1', '2']);
      expect(result.output).toMatchObject({ count: 3, capped: false, ids: '3001,3002,3003' });
      const text = JSON.stringify(result);
      for (const p of FAKE_ITGLUE_PASSWORDS) expect(text).not.toContain(p.value);
    } finally {
      itglue().passwordPageSize = 1000;
    }
  });

  tool(
    'itglue.password.reveal',
    'GET /passwords/{id}?show_password=true; the value only in the secret field',
    async () => {
      const reveal = findTool('itglue.password.reveal')!;
      expect(reveal).toMatchObject({ writes: false, alwaysRequiresApproval: true });
      const result = await run('itglue.password.reveal', { passwordId: '3001' });
      expect(calls('itglue')[0]).toMatchObject({
        method: 'GET',
        path: '/passwords/3001',
        query: { show_password: 'true' },
      });
      expect(result.secret).toEqual({ label: 'password 3001 "Domain admin"', value: FAKE_ITGLUE_PASSWORDS[0]!.value });
      expect(JSON.stringify({ summary: result.summary, output: result.output })).not.toContain(
        FAKE_ITGLUE_PASSWORDS[0]!.value,
      );
    },
  );

  it('every IT Glue tool sends GETs only', async () => {
    expect(ITGLUE_TOOLS.every((t) => !t.writes)).toBe(true);
    await run('itglue.organization.list', { name: 'Fake Customer Ltd' });
    await run('itglue.password.list', { organizationId: '1001' });
    expect(fakes.servers.itglue.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

it('every tool of the three vendor files has a case above', () => {
  const ids = [...AUTOTASK_TOOLS, ...MICROSOFT365_TOOLS, ...ITGLUE_TOOLS].map((t) => t.id);
  expect(ids.filter((id) => !TESTED.has(id))).toEqual([]);
});
