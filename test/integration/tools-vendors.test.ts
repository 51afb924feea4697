import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTOTASK_TOOLS } from '../../shared/tools/autotask-tools';
import { findTool, listTools } from '../../shared/tools/catalog';
import { DATTO_EDR_TOOLS } from '../../shared/tools/datto-edr-tools';
import { DATTO_RMM_TOOLS } from '../../shared/tools/datto-rmm-tools';
import type { ToolResult } from '../../shared/tools/definition';
import { ITGLUE_TOOLS } from '../../shared/tools/itglue-tools';
import { MICROSOFT365_TOOLS } from '../../shared/tools/microsoft365-tools';
import { PAX8_TOOLS } from '../../shared/tools/pax8-tools';
import { UNIFI_TOOLS } from '../../shared/tools/unifi-tools';
import type { VendorId } from '../../shared/vendors/contract';
import { connectors } from '../../shared/vendors/registry';
import { FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import type { FakeRequest } from '../fakes/core/fake-server';
import { fakeSession } from '../fakes/core/session';
import { FAKE_DATTO_EDR_CREDENTIALS } from '../fakes/datto-edr';
import { FAKE_ITGLUE_CREDENTIALS } from '../fakes/itglue';
import { M365_FAKE_TENANT } from '../fakes/microsoft365';
import { UNIFI_FAKE_CREDENTIALS, UNIFI_FAKE_DEVICE_ID, UNIFI_FAKE_SITE_ID } from '../fakes/unifi';
import { ROOT } from '../support/host-process';

/**
 * Every tool in the catalog, executed against its vendor's fake over loopback the way the
 * tool-call stage runs it (arguments as SOP templates render them: text), with the request the
 * fake received checked against the vendor's documented method, path, headers and body
 * (docs/vendors.md). IT Glue and Microsoft 365 tools only read: the fakes saw GETs only.
 */
let fakes: RunningFakes;

beforeAll(async () => {
  fakes = await startAllFakes();
});
afterEach(() => {
  for (const server of Object.values(fakes.servers)) server.reset();
});
afterAll(() => fakes?.stop());

function session(vendor: VendorId, config?: Record<string, unknown>) {
  return fakeSession(
    vendor,
    connectors[vendor],
    FAKE_CREDENTIALS[vendor],
    config ?? fakeConfig(vendor, fakes.baseUrls[vendor]),
  );
}

async function run(toolId: string, args: Record<string, unknown>, config?: Record<string, unknown>) {
  const tool = findTool(toolId);
  if (!tool) throw new Error(`${toolId} is not in the catalog`);
  return tool.execute(session(tool.vendor, config), args);
}

/** The requests a fake saw, leaving out token and zone look-ups (checked where they matter). */
function calls(vendor: VendorId): FakeRequest[] {
  return fakes.servers[vendor].requests.filter((r) => !/\/oauth2?\/|\/auth\/token|ZoneInformation/i.test(r.path));
}

const TESTED = new Set<string>();
function tool(id: string, name: string, fn: () => Promise<void>) {
  TESTED.add(id);
  it(`${id}: ${name}`, fn);
}

describe('tools against the fake vendors', () => {
  tool('autotask.ticket.add_note', 'POST /V1.0/Tickets/{id}/Notes with the three auth headers', async () => {
    const result = await run('autotask.ticket.add_note', { ticketId: '4711', description: 'Disk cleaned' });
    const [note, ...rest] = calls('autotask');
    expect(rest).toEqual([]);
    expect(note).toMatchObject({ method: 'POST', path: '/ATServicesRest/V1.0/Tickets/4711/Notes' });
    expect(note!.headers).toMatchObject({
      apiintegrationcode: FAKE_AUTOTASK_CREDENTIALS.integrationCode,
      username: FAKE_AUTOTASK_CREDENTIALS.username,
      secret: FAKE_AUTOTASK_CREDENTIALS.secret,
    });
    expect(note!.headers['content-type']).toMatch(/^application\/json/);
    expect(note!.json).toEqual({
      TicketID: 4711,
      Title: 'MSP Integration Hub',
      Description: 'Disk cleaned',
      NoteType: 1,
      Publish: 1,
    });
    expect(result.summary).toMatch(/^note \d+ added to ticket 4711$/);
  });

  tool('autotask.ticket.update_status', 'PATCH /V1.0/Tickets {id, status}', async () => {
    await run('autotask.ticket.update_status', { ticketId: '4711', status: '5' });
    const [patch, ...rest] = calls('autotask');
    expect(rest).toEqual([]);
    expect(patch).toMatchObject({
      method: 'PATCH',
      path: '/ATServicesRest/V1.0/Tickets',
      json: { id: 4711, status: 5 },
    });
    expect(patch!.headers.secret).toBe(FAKE_AUTOTASK_CREDENTIALS.secret);
  });

  tool('halopsa.ticket.add_action', 'POST /api/Actions with an array of one action and a bearer token', async () => {
    const result = await run('halopsa.ticket.add_action', {
      ticketId: '1001',
      note: 'Restarted the print spooler',
      hiddenFromUser: 'true',
    });
    const token = fakes.servers.halopsa.received('POST', '/auth/token');
    expect(token).toHaveLength(1);
    expect(new URLSearchParams(token[0]!.body).get('grant_type')).toBe('client_credentials');
    const [action, ...rest] = calls('halopsa');
    expect(rest).toEqual([]);
    expect(action).toMatchObject({ method: 'POST', path: '/api/Actions' });
    expect(action!.headers.authorization).toMatch(/^Bearer halo-[0-9a-f]+$/);
    expect(action!.json).toEqual([
      { ticket_id: 1001, note: 'Restarted the print spooler', outcome: 'Note', hiddenfromuser: true },
    ]);
    expect(result.output.actionId).toEqual(expect.any(Number));
    expect(result.output.actionId).toBeGreaterThan(0);
  });

  tool('datto-rmm.device.run_quick_job', 'PUT /api/v2/device/{uid}/quickjob {jobName, jobComponent}', async () => {
    const result = await run('datto-rmm.device.run_quick_job', {
      deviceUid: 'dev-42',
      jobName: 'Clear temp files',
      componentUid: 'comp-7',
      variables: { days: '7' },
    });
    const token = fakes.servers['datto-rmm'].received('POST', '/auth/oauth/token');
    expect(token).toHaveLength(1);
    expect(token[0]!.headers.authorization).toBe(`Basic ${Buffer.from('public-client:public').toString('base64')}`);
    const [job, ...rest] = calls('datto-rmm');
    expect(rest).toEqual([]);
    expect(job).toMatchObject({ method: 'PUT', path: '/api/v2/device/dev-42/quickjob' });
    expect(job!.headers.authorization).toMatch(/^Bearer .+/);
    expect(job!.json).toEqual({
      jobName: 'Clear temp files',
      jobComponent: { componentUid: 'comp-7', variables: [{ name: 'days', value: '7' }] },
    });
    expect(result.output).toEqual({ jobUid: 'job-dev-42' });
  });

  tool('datto-edr.host.isolate', 'POST /api/Agents/toggleIsolation with the raw token', async () => {
    expect(findTool('datto-edr.host.isolate')?.alwaysRequiresApproval).toBe(true);
    await run('datto-edr.host.isolate', { agentId: 'agent-7' });
    const [isolate, ...rest] = calls('datto-edr');
    expect(rest).toEqual([]);
    expect(isolate).toMatchObject({
      method: 'POST',
      path: '/api/Agents/toggleIsolation',
      json: { ids: ['agent-7'], isolated: true },
    });
    expect(isolate!.headers.authorization).toBe(FAKE_DATTO_EDR_CREDENTIALS.apiToken);
  });

  tool('unifi.device.restart', 'POST …/sites/{site}/devices/{device}/actions {"action":"RESTART"}', async () => {
    const network = { mode: 'network', consoleUrl: fakes.baseUrls.unifi };
    const result = await run(
      'unifi.device.restart',
      { siteId: UNIFI_FAKE_SITE_ID, deviceId: UNIFI_FAKE_DEVICE_ID },
      network,
    );
    const [restart, ...rest] = calls('unifi');
    expect(rest).toEqual([]);
    expect(restart).toMatchObject({
      method: 'POST',
      path: `/proxy/network/integration/v1/sites/${UNIFI_FAKE_SITE_ID}/devices/${UNIFI_FAKE_DEVICE_ID}/actions`,
      json: { action: 'RESTART' },
    });
    expect(restart!.headers['x-api-key']).toBe(UNIFI_FAKE_CREDENTIALS.apiKey);
    expect(result.output).toEqual({ deviceId: UNIFI_FAKE_DEVICE_ID });
  });

  tool(
    'unifi.device.restart',
    'a Site Manager integration cannot restart: a configuration error, nothing sent',
    async () => {
      const error = await run('unifi.device.restart', { siteId: 's', deviceId: 'd' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ kind: 'not_found', vendor: 'unifi' });
      expect(calls('unifi')).toEqual([]);
    },
  );

  tool('itglue.organization.lookup', 'GET /organizations?filter[name]=… with x-api-key (JSON:API)', async () => {
    const result = await run('itglue.organization.lookup', { name: 'Fake Customer Ltd' });
    const [lookup, ...rest] = calls('itglue');
    expect(rest).toEqual([]);
    expect(lookup).toMatchObject({
      method: 'GET',
      path: '/organizations',
      query: { 'filter[name]': 'Fake Customer Ltd', 'page[size]': '5' },
      body: '',
    });
    expect(lookup!.headers['x-api-key']).toBe(FAKE_ITGLUE_CREDENTIALS.apiKey);
    expect(lookup!.headers.accept).toBe('application/vnd.api+json');
    expect(result.output).toEqual({ found: 1, organizationId: '1001', name: 'Fake Customer Ltd' });
  });

  tool(
    'itglue.configuration.lookup',
    'GET /configurations?filter[name]=…; a miss is an answer, not an error',
    async () => {
      const found = await run('itglue.configuration.lookup', { name: 'srv01' });
      const missing = await run('itglue.configuration.lookup', { name: 'no-such-box' });
      const [first, second, ...rest] = calls('itglue');
      expect(rest).toEqual([]);
      expect(first).toMatchObject({
        method: 'GET',
        path: '/configurations',
        query: { 'filter[name]': 'srv01' },
        body: '',
      });
      expect(second).toMatchObject({
        method: 'GET',
        path: '/configurations',
        query: { 'filter[name]': 'no-such-box' },
      });
      expect(found.output).toEqual({ found: 1, configurationId: '2001', name: 'SRV01' });
      expect(missing).toEqual<ToolResult>({
        summary: 'no configuration "no-such-box"',
        output: { found: 0, configurationId: null, name: null },
      });
    },
  );

  tool('microsoft365.user.lookup', 'GET /v1.0/users/{upn}?$select=… with a bearer token', async () => {
    const upn = `adelev@${M365_FAKE_TENANT}`;
    const result = await run('microsoft365.user.lookup', { user: upn });
    const [lookup, ...rest] = calls('microsoft365');
    expect(rest).toEqual([]);
    expect(lookup).toMatchObject({
      method: 'GET',
      path: `/v1.0/users/${encodeURIComponent(upn)}`, // @ travels escaped
      query: { $select: 'id,displayName,userPrincipalName,accountEnabled' },
      body: '',
    });
    expect(lookup!.headers.authorization).toMatch(/^Bearer .+/);
    expect(result.output).toEqual({
      id: '6e7b768e-07e2-4810-8459-485f84f8f204',
      displayName: 'Adele Vance',
      userPrincipalName: upn,
      accountEnabled: true,
    });
    const unknown = await run('microsoft365.user.lookup', { user: 'nobody@example.com' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(unknown).toMatchObject({ kind: 'not_found', httpStatus: 404 });
  });

  it('every tool in the catalog has a case above (or in tools-vendor-actions, tools-pax8-unifi, tools-datto)', () => {
    const elsewhere = new Set(
      [
        ...AUTOTASK_TOOLS,
        ...MICROSOFT365_TOOLS,
        ...ITGLUE_TOOLS,
        ...PAX8_TOOLS,
        ...UNIFI_TOOLS,
        ...DATTO_RMM_TOOLS,
        ...DATTO_EDR_TOOLS,
      ].map((t) => t.id),
    );
    expect(
      listTools()
        .map((t) => t.id)
        .filter((id) => !TESTED.has(id) && !elsewhere.has(id)),
    ).toEqual([]);
  });
});

describe('IT Glue and Microsoft 365 lookups only read', () => {
  it('are declared read-only, and running all of them sends GETs only (token requests aside)', async () => {
    // Microsoft 365's lifecycle writes (approval-gated) are tested in tools-vendor-actions.test.ts.
    const lookups = new Set(['itglue.configuration.lookup', 'itglue.organization.lookup', 'microsoft365.user.lookup']);
    const readOnly = listTools().filter((t) => lookups.has(t.id));
    expect(listTools().filter((t) => t.vendor === 'itglue' && t.writes)).toEqual([]);
    for (const t of readOnly) {
      expect(t.writes).toBe(false);
      const args: Record<string, string> =
        t.vendor === 'itglue' ? { name: 'SRV01' } : { user: `adelev@${M365_FAKE_TENANT}` };
      await t.execute(session(t.vendor), args);
    }
    const sent = [...calls('itglue'), ...calls('microsoft365')];
    expect(sent).toHaveLength(3);
    expect(sent.filter((r) => r.method !== 'GET')).toEqual([]);
    // The only non-GET is Entra ID's token request, which changes nothing in the tenant.
    const other = fakes.servers.microsoft365.requests.filter((r) => r.method !== 'GET');
    expect(other.map((r) => r.path)).toEqual([`/${M365_FAKE_TENANT}/oauth2/v2.0/token`]);
  });

  it('no code path can write to IT Glue: every request the IT Glue modules build is a GET', () => {
    // The connector and its actions are the only modules that reach IT Glue (connectors are looked
    // up by vendor id); a method other than GET in them, or a request body, fails this test.
    const dir = join(ROOT, 'shared/vendors/itglue');
    const sources = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(sources.length).toBeGreaterThanOrEqual(2);
    const methods = sources.flatMap((s) => [...s.matchAll(/method:\s*['"`]?(\w+)/g)].map((m) => m[1]));
    expect(methods.length).toBeGreaterThanOrEqual(2);
    expect(methods.filter((m) => m !== 'GET')).toEqual([]);
    for (const s of sources) expect(s).not.toMatch(/\b(json|body|form):\s/);
  });
});
