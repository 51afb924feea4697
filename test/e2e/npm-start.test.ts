import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { HALO_FAKE_CREDENTIALS } from '../fakes/halopsa';
import { captureOutput, outputMatch, ROOT } from '../support/host-process';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start', () => {
  it('builds, starts its own Azurite and serves GET /api/healthz once it says it is ready, then stops cleanly on Ctrl-C', async () => {
    const location = mkdtempSync(join(tmpdir(), 'hub-start-'));
    dirs.push(location);
    // The example settings as a fresh clone has them, with free ports so parallel runs never collide.
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true, // its own process group, so SIGINT reaches npm and the host like a terminal's Ctrl-C
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOCAL_HTTP_PORT: '0',
        LOCAL_AZURITE_BLOB_PORT: '0',
        LOCAL_AZURITE_QUEUE_PORT: '0',
        LOCAL_AZURITE_TABLE_PORT: '0',
        LOCAL_FAKE_VENDORS_PORT: '0',
        LOCAL_AZURITE_LOCATION: location,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = captureOutput(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Ready is a signal the host prints once it serves; the test's timeout is the only bound.
      await outputMatch(child, output, /Ready in \d+ ms/);
      const base = /API reference: (http:\/\/[^/\s]+)\/api/.exec(output())?.[1];
      if (!base) throw new Error(`ready, but no API reference URL in the banner:\n${output()}`);
      const health = await fetch(`${base}/api/healthz`);
      expect(health.status, output()).toBe(200);
      // The example settings start the fake vendors for the README tour, each on its own port.
      expect(output()).toMatch(/Fake vendors[\s\S]*autotask\s+http:\/\/127\.0\.0\.1:\d+[\s\S]*receiver\s+http/);
      // The fake Halo PSA and Autotask share the tour's company ("Resolve a conflict" in the README),
      // read through each vendor's own API as the hub reads it.
      const haloUrl = /halopsa\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output())![1]!;
      const autotaskUrl = /autotask\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output())![1]!;
      expect(await tourCompanies(haloUrl, autotaskUrl)).toEqual({
        halopsa: { id: 12, name: 'Contoso Ltd', phonenumber: '+44 20 7946 0000', website: 'https://contoso.example' },
        autotask: {
          id: 29683,
          companyName: 'Contoso Ltd',
          phone: '+44 20 7946 0000',
          webAddress: 'https://contoso.example',
        },
      });
      // The banner lists every function with its route.
      expect(output()).toContain('api-keys-create');
      expect(output()).toMatch(/\[POST\] http:\/\/localhost:\d+\/api\/v1\/api-keys/);
      expect(output()).toMatch(/healthz-get\s+\[GET\]/);
      // No LOCAL_FUNCTIONS_KEY in the example settings: a key is generated for this run and printed,
      // and the host endpoints (they act for every tenant) answer 401 without it.
      const functionsKey = /functions key: (\S+) \(generated/.exec(output())?.[1];
      expect(functionsKey, output()).toBeTruthy();
      for (const path of ['/admin/host/status', '/runtime/webhooks/durabletask/instances']) {
        const without = await fetch(`${base}${path}`);
        expect(without.status, path).toBe(401);
        expect(((await without.json()) as { code: string }).code).toBe('function_key_invalid');
      }
      const withKey = await fetch(`${base}/admin/host/status`, { headers: { 'x-functions-key': functionsKey! } });
      expect(withKey.status).toBe(200);
    } finally {
      process.kill(-child.pid!, 'SIGINT');
    }
    await exited;
    expect(output()).toContain('SIGINT: stopping');
    expect(output()).toContain('stopped.');
    // Azurite went down with the host: its table endpoint no longer answers.
    const tables = /tables at (http:\/\/\S+)/.exec(output())?.[1];
    expect(tables).toBeTruthy();
    const afterStop = await fetch(`${tables}/Tables`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(afterStop).toBe('refused');
  }, 60_000);
});

/** The tour company as each fake serves it: Halo client 12 and Autotask company 29683. */
async function tourCompanies(haloUrl: string, autotaskUrl: string) {
  const token = await fetch(`${haloUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: HALO_FAKE_CREDENTIALS.clientId,
      client_secret: HALO_FAKE_CREDENTIALS.clientSecret,
      scope: 'all',
    }),
  }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
  const clients = await fetch(`${haloUrl}/api/Client`, { headers: { authorization: `Bearer ${token}` } }).then(
    async (r) => ((await r.json()) as { clients: Array<Record<string, unknown>> }).clients,
  );
  const companies = await fetch(`${autotaskUrl}/ATServicesRest/V1.0/Companies/query`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ApiIntegrationCode: FAKE_AUTOTASK_CREDENTIALS.integrationCode,
      UserName: FAKE_AUTOTASK_CREDENTIALS.username,
      Secret: FAKE_AUTOTASK_CREDENTIALS.secret,
    },
    body: JSON.stringify({
      filter: [{ op: 'eq', field: 'id', value: 29683 }],
      includeFields: ['id', 'companyName', 'phone', 'webAddress'],
    }),
  }).then(async (r) => ((await r.json()) as { items: Array<Record<string, unknown>> }).items);
  const pick = (row: Record<string, unknown> | undefined, fields: string[]) =>
    Object.fromEntries(fields.map((f) => [f, row?.[f]]));
  return {
    halopsa: pick(
      clients.find((c) => c.id === 12),
      ['id', 'name', 'phonenumber', 'website'],
    ),
    autotask: pick(companies[0], ['id', 'companyName', 'phone', 'webAddress']),
  };
}
