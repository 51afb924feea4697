import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditTable } from '../../shared/audit/audit-log';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { VENDOR_IDS, type VendorId } from '../../shared/vendors/contract';
import { connectors } from '../../shared/vendors/registry';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { M365_FAKE_TENANT } from '../fakes/microsoft365';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * Stored credentials never go somewhere new (docs/integrations.md "Where credentials may go"): a key
 * with `integrations:write` (or `admin`) points a saved integration's destination fields at a
 * loopback capture server, then asks for a test and a recheck. The capture server must never see a
 * stored credential; every attempt is in the audit log with the old and the new destination.
 */
let host: HostProcess;
let fakes: RunningFakes;
let env: Record<string, string>;
let admin: string;
let writer: string;

interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const captured: Captured[] = [];
let capture: Server;
let cap: string;

async function startCapture(): Promise<void> {
  capture = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"captured"}');
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  cap = `http://127.0.0.1:${(capture.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  fakes = await startAllFakes();
  await startCapture();
  env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', API_RATE_LIMIT_PER_MINUTE: '100000' });
  admin = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
  const created = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
    key: admin,
    body: { name: 'integrations writer', scopes: ['integrations:write', 'integrations:read'] },
  });
  expect(created.status, created.text).toBe(201);
  writer = created.json.key as string;
});

afterAll(async () => {
  await host?.stop();
  await fakes?.stop();
  await new Promise((resolve) => capture?.close(resolve));
});

beforeEach(() => {
  captured.length = 0;
});

/** Every destination field of each vendor, each pointed somewhere the credentials were not saved for. */
function repoints(vendor: VendorId, fake: string): { field: string; config: Record<string, unknown> }[] {
  switch (vendor) {
    case 'autotask':
      return [
        { field: 'baseUrl', config: { baseUrl: cap } },
        { field: 'zoneUrl', config: { baseUrl: fake, zoneUrl: `${cap}/ATServicesRest` } },
      ];
    case 'halopsa':
      return [
        { field: 'baseUrl', config: { baseUrl: cap } },
        { field: 'tenant', config: { tenant: 'attacker-msp' } },
      ];
    case 'datto-rmm':
      return [
        { field: 'baseUrl', config: { baseUrl: cap } },
        { field: 'platform', config: { platform: 'merlot' } },
      ];
    case 'datto-edr':
      return [
        { field: 'baseUrl', config: { baseUrl: cap } },
        { field: 'instance', config: { instance: 'attacker' } },
      ];
    case 'itglue':
      return [
        { field: 'baseUrl', config: { baseUrl: cap } },
        { field: 'region', config: { region: 'eu' } },
      ];
    case 'pax8':
      return [
        { field: 'baseUrl', config: { baseUrl: `${cap}/v1`, tokenUrl: `${fake}/oauth/token` } },
        { field: 'tokenUrl', config: { baseUrl: `${fake}/v1`, tokenUrl: `${cap}/oauth/token` } },
      ];
    case 'unifi':
      return [
        { field: 'baseUrl', config: { mode: 'site-manager', baseUrl: cap } },
        { field: 'mode + consoleUrl', config: { mode: 'network', consoleUrl: cap } },
      ];
    case 'microsoft365':
      return [
        { field: 'baseUrl', config: { tenantId: M365_FAKE_TENANT, baseUrl: cap } },
        { field: 'loginBaseUrl', config: { tenantId: M365_FAKE_TENANT, baseUrl: fake, loginBaseUrl: cap } },
        { field: 'graphBaseUrl', config: { tenantId: M365_FAKE_TENANT, baseUrl: fake, graphBaseUrl: cap } },
      ];
  }
}

/** Credentials a caller makes up: every field differs from the stored ones. */
function freshCredentials(vendor: VendorId): Record<string, string> {
  return Object.fromEntries(connectors[vendor].catalog.credentialFields.map((f) => [f.name, `fresh-${f.name}-0123`]));
}

async function auditRows(tenantId: string, integrationId: string) {
  const audit = auditTable(storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!));
  const rows: { action: string; details: Record<string, string | number | boolean> }[] = [];
  for await (const row of audit.iterate(tenantId)) {
    if (row.value.targetId === integrationId) rows.push({ action: row.value.action, details: row.value.details ?? {} });
  }
  return rows;
}

async function recheckAndSettle(id: string): Promise<{ state: string }> {
  const before = new Date().toISOString();
  const res = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/recheck`, { key: writer });
  expect(res.status).toBe(202);
  return eventually(
    async () => {
      const status = await call(host.baseUrl, 'GET', '/api/v1/integrations/status', { key: writer });
      const item = (status.json.items as { integrationId: string; state: string; lastCheckAt: string | null }[]).find(
        (i) => i.integrationId === id,
      );
      return item && item.state !== 'checking' && item.lastCheckAt !== null && item.lastCheckAt >= before
        ? item
        : undefined;
    },
    30_000,
    200,
  );
}

describe('repointing a saved integration', () => {
  it.each(VENDOR_IDS)(
    '%s: no key sends the stored credentials to a new destination; every attempt is audited',
    async (vendor) => {
      const fake = fakes.baseUrls[vendor];
      const savedConfig = fakeConfig(vendor, fake);
      const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
        key: admin,
        body: { vendor, name: `${vendor} repoint`, credentials: FAKE_CREDENTIALS[vendor], config: savedConfig },
      });
      expect(created.status, created.text).toBe(201);
      const id = created.json.id as string;
      const storedConfig = created.json.config;
      const variants = repoints(vendor, fake);

      // Without credentials: refused, tested or not, for the writer key and the admin key alike.
      let refusedAttempts = 0;
      for (const { field, config } of variants) {
        for (const [key, query] of [
          [writer, ''],
          [writer, '?skipTest=true'],
          [admin, '?skipTest=true'],
        ] as const) {
          const res = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}${query}`, {
            key,
            body: { config },
          });
          expect(res.status, `${field}: ${res.text}`).toBe(422);
          expect(res.json.code).toBe('destination_change_needs_credentials');
          refusedAttempts += 1;
        }
      }

      // With made-up credentials the change is tested with those, and only those.
      const withFresh = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}`, {
        key: writer,
        // (Pax8's first request is the token call, so its capture variant is the token URL.)
        body: { config: variants[vendor === 'pax8' ? 1 : 0]!.config, credentials: freshCredentials(vendor) },
      });
      expect(withFresh.status, withFresh.text).toBe(422);
      expect(withFresh.json.code).toBe('integration_test_failed');
      refusedAttempts += 1;

      // Test and recheck still go to the saved destination.
      const tested = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/test`, { key: writer });
      expect(tested.status).toBe(200);
      expect(tested.json.ok).toBe(true);
      expect((await recheckAndSettle(id)).state).not.toBe('checking');
      const got = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}`, { key: writer });
      expect(got.json.config).toEqual(storedConfig);

      // The capture server saw the made-up credentials at most, never a stored one.
      expect(captured.length).toBeGreaterThan(0);
      const seen = JSON.stringify(captured);
      for (const value of Object.values(FAKE_CREDENTIALS[vendor])) expect(seen).not.toContain(value);
      for (const value of Object.values(FAKE_CREDENTIALS[vendor])) {
        expect(seen).not.toContain(encodeURIComponent(value));
      }

      // Every attempt is in the audit log, with where the credentials were saved for and where it would go.
      const rows = await auditRows(env.BOOTSTRAP_TENANT_ID!, id);
      const refusals = rows.filter((r) => r.action === 'integration.destination_change_refused');
      expect(refusals).toHaveLength(refusedAttempts);
      const fakeHostPort = new URL(fake).host;
      for (const row of refusals) {
        const details = row.details;
        expect(details.fromDestinations).toContain(fakeHostPort);
        expect(details.fromHosts).toBe(`127.0.0.1${vendor === 'autotask' ? ' *.autotask.net' : ''}`);
        expect(details.toHosts).toBeTruthy();
        expect(details.reason).toMatch(/^(credentials_missing|test_failed)$/);
      }
      const capHostPort = new URL(cap).host;
      expect(refusals.filter((r) => String(r.details.toDestinations).includes(capHostPort))).not.toHaveLength(0);
      expect(rows.some((r) => r.action === 'integration.destination_changed')).toBe(false);
    },
    120_000,
  );

  it('a destination change with fresh credentials that pass is saved, audited with both hosts, and probes the new place', async () => {
    const vendor: VendorId = 'datto-edr';
    // A second EDR fake stands for the new console.
    const second = await startAllFakes();
    try {
      const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
        key: admin,
        body: {
          vendor,
          name: 'edr moving',
          credentials: FAKE_CREDENTIALS[vendor],
          config: fakeConfig(vendor, fakes.baseUrls[vendor]),
        },
      });
      expect(created.status, created.text).toBe(201);
      const id = created.json.id as string;
      const moved = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}`, {
        key: writer,
        body: { config: fakeConfig(vendor, second.baseUrls[vendor]), credentials: FAKE_CREDENTIALS[vendor] },
      });
      expect(moved.status, moved.text).toBe(200);
      const before = second.servers[vendor].requests.length;
      expect((await recheckAndSettle(id)).state).toBe('connected');
      expect(second.servers[vendor].requests.length).toBeGreaterThan(before);
      const rows = await auditRows(env.BOOTSTRAP_TENANT_ID!, id);
      const changed = rows.find((r) => r.action === 'integration.destination_changed');
      const details = changed?.details ?? {};
      expect(details.fromDestinations).toContain(new URL(fakes.baseUrls[vendor]).host);
      expect(details.toDestinations).toContain(new URL(second.baseUrls[vendor]).host);
    } finally {
      await second.stop();
    }
  });
});
