import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findTool } from '../../shared/tools/catalog';
import { DATTO_EDR_TOOLS } from '../../shared/tools/datto-edr-tools';
import { DATTO_RMM_TOOLS } from '../../shared/tools/datto-rmm-tools';
import { connector as edr } from '../../shared/vendors/datto-edr';
import { EDR_MAX_PAGES, EDR_PAGE_SIZE } from '../../shared/vendors/datto-edr/detections';
import { connector as rmm } from '../../shared/vendors/datto-rmm';
import { RMM_MAX_PAGES, RMM_PAGE_SIZE } from '../../shared/vendors/datto-rmm/inventory';
import type { FakeRequest } from '../fakes/core/fake-server';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
import { DattoEdrFake, FAKE_DATTO_EDR_CREDENTIALS, type FakeEdrRecord } from '../fakes/datto-edr';
import { DattoRmmFake, FAKE_DATTO_RMM_CREDENTIALS, type FakeRmmRecord } from '../fakes/datto-rmm';

/**
 * The Datto RMM and Datto EDR tools of docs/tools.md, each run against its fake over loopback as
 * the tool-call stage runs it. The RMM fake is held to test/fixtures/vendor-specs/datto-rmm (every
 * request here passed that check, and a request that breaks it is refused); the EDR fake checks
 * LoopBack's filter by hand (docs/vendor-fidelity.md). Reads page the vendor's way and stop at
 * their documented cap, which fakes seeded beyond it prove.
 */
const rmmFake = new DattoRmmFake();
const edrFake = new DattoEdrFake();
const rmmSeed = { sites: rmmFake.sites, devices: rmmFake.devices, alerts: rmmFake.alerts };
const edrSeed = { alerts: edrFake.alerts, incidents: edrFake.incidents };

beforeAll(async () => {
  await rmmFake.start();
  await edrFake.start();
});
afterEach(() => {
  rmmFake.reset();
  edrFake.reset();
  Object.assign(rmmFake, rmmSeed);
  Object.assign(edrFake, edrSeed);
});
afterAll(async () => {
  await rmmFake.stop();
  await edrFake.stop();
});

async function run(toolId: string, args: Record<string, unknown>) {
  const tool = findTool(toolId);
  if (!tool) throw new Error(`${toolId} is not in the catalog`);
  const session =
    tool.vendor === 'datto-rmm'
      ? fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, { baseUrl: rmmFake.baseUrl })
      : fakeSession('datto-edr', edr, FAKE_DATTO_EDR_CREDENTIALS, { baseUrl: edrFake.baseUrl });
  return tool.execute(session, args);
}

const rmmCalls = (): FakeRequest[] => rmmFake.requests.filter((r) => r.path.startsWith('/api/'));
const line = (r: FakeRequest) => `${r.method} ${r.path}${r.query.page !== undefined ? `?page=${r.query.page}` : ''}`;
function noRefusals() {
  expect(rmmFake.refusals, rmmFake.describeRefusals()).toEqual([]);
  expect(edrFake.refusals, edrFake.describeRefusals()).toEqual([]);
}

const TESTED = new Set<string>();
function tool(id: string, name: string, fn: () => Promise<void>) {
  TESTED.add(id);
  it(`${id}: ${name}`, fn);
}

describe('Datto RMM (held to the spec slice)', () => {
  tool('datto-rmm.site.list', 'GET account/sites with page/max, filtered by siteName', async () => {
    const result = await run('datto-rmm.site.list', { siteName: 'fake' });
    const [call, ...rest] = rmmCalls();
    expect(rest).toEqual([]);
    expect(call).toMatchObject({
      method: 'GET',
      path: '/api/v2/account/sites',
      query: { page: '0', max: String(RMM_PAGE_SIZE), siteName: 'fake' },
    });
    expect(call!.headers.authorization).toMatch(/^Bearer /);
    expect(result.output).toMatchObject({ count: 1, capped: false, ids: 'site-1', firstName: 'Fake Customer Ltd' });
    noRefusals();
  });

  tool('datto-rmm.device.list', 'a site’s devices, or the account’s by hostname; counts the offline', async () => {
    const site = await run('datto-rmm.device.list', { siteUid: 'site-1' });
    expect(site.output).toMatchObject({ count: 2, offline: 1, ids: 'device-1,device-2' });
    const byName = await run('datto-rmm.device.list', { hostname: 'laptop' });
    expect(byName.output).toMatchObject({ count: 1, offline: 1, firstName: 'LAPTOP-07' });
    expect(rmmCalls().map(line)).toEqual([
      'GET /api/v2/site/site-1/devices?page=0',
      'GET /api/v2/account/devices?page=0',
    ]);
    expect(rmmCalls()[1]!.query.hostname).toBe('laptop');
    expect(findTool('datto-rmm.device.list')!.args.safeParse({ siteUid: 's', hostname: 'h' }).success).toBe(false);
    noRefusals();
  });

  tool('datto-rmm.device.get', 'GET device/{uid}: online, last seen, patch and antivirus status', async () => {
    const result = await run('datto-rmm.device.get', { deviceUid: 'device-2' });
    expect(result.output).toMatchObject({
      deviceUid: 'device-2',
      hostname: 'LAPTOP-07',
      online: false,
      lastSeen: '2026-04-28T17:30:00Z',
      rebootRequired: true,
      patchStatus: 'RebootRequired',
      antivirusStatus: 'RunningAndNotUpToDate',
    });
    const missing = await vendorErrorOf(run('datto-rmm.device.get', { deviceUid: 'nope' }));
    expect(missing).toMatchObject({ kind: 'not_found', httpStatus: 404, vendorMessage: 'Device not found' });
    noRefusals();
  });

  tool('datto-rmm.alert.list_open', 'account, site or device open alerts; muted passed as given', async () => {
    const account = await run('datto-rmm.alert.list_open', {});
    expect(account.output).toMatchObject({
      count: 2,
      critical: 1,
      firstId: 'alert-1',
      firstName: 'Critical LAPTOP-07',
    });
    const site = await run('datto-rmm.alert.list_open', { siteUid: 'site-1', muted: 'false' });
    expect(site.output).toMatchObject({ count: 1, ids: 'alert-1' });
    const device = await run('datto-rmm.alert.list_open', { deviceUid: 'device-1' });
    expect(device.output).toMatchObject({ count: 1, ids: 'alert-2', critical: 0 });
    expect(rmmCalls().map(line)).toEqual([
      'GET /api/v2/account/alerts/open?page=0',
      'GET /api/v2/site/site-1/alerts/open?page=0',
      'GET /api/v2/device/device-1/alerts/open?page=0',
    ]);
    expect(rmmCalls()[1]!.query.muted).toBe('false');
    noRefusals();
  });

  tool('datto-rmm.device.monitor_state', 'the device record and its open alerts in one result', async () => {
    const result = await run('datto-rmm.device.monitor_state', { deviceUid: 'device-2' });
    expect(rmmCalls().map(line)).toEqual([
      'GET /api/v2/device/device-2',
      'GET /api/v2/device/device-2/alerts/open?page=0',
    ]);
    expect(result.output).toMatchObject({
      online: false,
      patchStatus: 'RebootRequired',
      antivirusStatus: 'RunningAndNotUpToDate',
      openAlerts: 1,
      openAlertsCapped: false,
      criticalAlerts: 1,
      firstAlertUid: 'alert-1',
    });
    expect(result.summary).toBe(
      'LAPTOP-07 offline, 1 open alert(s) (1 critical), patches RebootRequired, antivirus RunningAndNotUpToDate',
    );
    noRefusals();
  });

  it('follows pageDetails.nextPageUrl and stops at the documented cap with a fake seeded beyond it', async () => {
    const cap = RMM_PAGE_SIZE * RMM_MAX_PAGES;
    rmmFake.sites = Array.from({ length: cap + 1 }, (_, i): FakeRmmRecord => ({ uid: `s-${i}`, name: `Site ${i}` }));
    const capped = await run('datto-rmm.site.list', {});
    expect(capped.output).toMatchObject({ count: cap, capped: true, firstId: 's-0' });
    expect(capped.summary).toBe(`${cap}+ sites, first "Site 0"`);
    expect(rmmCalls().map(line)).toEqual(
      Array.from({ length: RMM_MAX_PAGES }, (_, i) => `GET /api/v2/account/sites?page=${i}`),
    );
    rmmFake.reset();
    rmmFake.sites = rmmFake.sites.slice(0, RMM_PAGE_SIZE + 1);
    const whole = await run('datto-rmm.site.list', {});
    expect(whole.output).toMatchObject({ count: RMM_PAGE_SIZE + 1, capped: false });
    expect(rmmCalls()).toHaveLength(2);
    noRefusals();
  });

  it('the fake refuses a request that breaks the slice: a non-integer max, an unknown path, a wrong method', async () => {
    const base = rmmFake.baseUrl;
    const bad = await fetch(`${base}/api/v2/account/sites?max=lots`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/query\.max must be an integer/);
    expect((await fetch(`${base}/api/v2/account/sitez`)).status).toBe(404);
    expect((await fetch(`${base}/api/v2/device/device-1`, { method: 'DELETE' })).status).toBe(405);
    expect(rmmFake.refusals.map((r) => r.violations[0]!.at)).toEqual(['query.max', 'path', 'method']);
  });

  it('a path argument cannot leave its segment (no "..", no "/")', () => {
    for (const id of ['datto-rmm.device.get', 'datto-rmm.device.monitor_state']) {
      expect(findTool(id)!.args.safeParse({ deviceUid: '..' }).success).toBe(false);
      expect(findTool(id)!.args.safeParse({ deviceUid: 'a/b' }).success).toBe(false);
    }
  });
});

describe('Datto EDR (LoopBack filter, checked by hand)', () => {
  tool('datto-edr.alert.list', 'GET Alerts with a LoopBack filter: not archived, newest first', async () => {
    const result = await run('datto-edr.alert.list', {});
    const [call, ...rest] = edrFake.requests;
    expect(rest).toEqual([]);
    expect(call).toMatchObject({ method: 'GET', path: '/api/Alerts' });
    expect(call!.headers.authorization).toBe(FAKE_DATTO_EDR_CREDENTIALS.apiToken);
    expect(JSON.parse(call!.query.filter!)).toEqual({
      where: { archived: false },
      order: 'createdOn DESC',
      limit: EDR_PAGE_SIZE,
      skip: 0,
    });
    expect(result.output).toMatchObject({ count: 2, capped: false, ids: 'edr-alert-2,edr-alert-1', hosts: 2 });
    const one = await run('datto-edr.alert.list', { hostname: 'FILE01' });
    expect(one.output).toMatchObject({ count: 1, firstId: 'edr-alert-2' });
    noRefusals();
  });

  tool('datto-edr.incident.list', 'GET Incidents, optionally by status', async () => {
    const all = await run('datto-edr.incident.list', {});
    expect(all.output).toMatchObject({
      count: 2,
      firstId: 'edr-incident-1',
      firstName: 'critical Ransomware on FILE01',
    });
    const open = await run('datto-edr.incident.list', { status: 'open' });
    expect(open.output).toMatchObject({ count: 1, ids: 'edr-incident-1' });
    expect(JSON.parse(edrFake.requests[1]!.query.filter!).where).toEqual({ status: 'open' });
    noRefusals();
  });

  it('pages with skip and stops at the documented cap with a fake seeded beyond it', async () => {
    const cap = EDR_PAGE_SIZE * EDR_MAX_PAGES;
    edrFake.alerts = Array.from(
      { length: cap + 1 },
      (_, i): FakeEdrRecord => ({
        id: `a-${String(i).padStart(5, '0')}`,
        name: 'x',
        archived: false,
        createdOn: `2026-01-01T00:00:00.${String(i).padStart(3, '0')}Z`,
      }),
    );
    const result = await run('datto-edr.alert.list', {});
    expect(result.output).toMatchObject({ count: cap, capped: true });
    expect(edrFake.requests.map((r) => JSON.parse(r.query.filter!).skip)).toEqual(
      Array.from({ length: EDR_MAX_PAGES }, (_, i) => i * EDR_PAGE_SIZE),
    );
    noRefusals();
  });

  it('the fake refuses a filter LoopBack would refuse (unknown key, limit over 1000, not JSON)', async () => {
    const auth = { headers: { Authorization: FAKE_DATTO_EDR_CREDENTIALS.apiToken } };
    const q = (filter: string) => `${edrFake.baseUrl}/api/Alerts?filter=${encodeURIComponent(filter)}`;
    expect((await fetch(q('{"wher":{}}'), auth)).status).toBe(400);
    expect((await fetch(q('{"limit":5000}'), auth)).status).toBe(400);
    expect((await fetch(q('{not json'), auth)).status).toBe(400);
    expect(edrFake.refusals).toHaveLength(3);
    const refused = await fetch(q('{"limit":10}'), { headers: { Authorization: 'wrong' } });
    expect(refused.status).toBe(401);
  });
});

it('every Datto tool has a case above; every new one only reads, the isolation still always waits', () => {
  const ids = [...DATTO_RMM_TOOLS, ...DATTO_EDR_TOOLS].map((t) => t.id);
  expect(ids.filter((id) => !TESTED.has(id))).toEqual([]);
  expect([...DATTO_RMM_TOOLS, ...DATTO_EDR_TOOLS].filter((t) => t.writes)).toEqual([]);
  expect(findTool('datto-edr.host.isolate')).toMatchObject({ writes: true, alwaysRequiresApproval: true });
});
