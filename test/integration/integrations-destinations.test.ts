import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createIntegration,
  openIntegrationSession,
  testUnsavedConnection,
} from '../../shared/integrations/integrations';
import { probeOnce } from '../../shared/integrations/probe-once';
import { destinationsOf } from '../../shared/integrations/sessions';
import { MAX_VENDOR_MESSAGE, VENDOR_IDS, type VendorId } from '../../shared/vendors/contract';
import { uncoveredDestinations } from '../../shared/vendors/core/destinations';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { M365_FAKE_TENANT } from '../fakes/microsoft365';
import { adminOf, type Harness, harness, installLocalSettings } from '../support/integrations-harness';

/**
 * Where credentials may go (docs/integrations.md): every destination field of every vendor changes
 * the connector's destinations and other fields do not; a session refuses to send stored credentials
 * anywhere else, even when the stored config or a vendor's answer names another origin; and a
 * vendor's answer comes back only as its known error shape's text, bounded.
 */
let fakes: RunningFakes;
let h: Harness;

/** A loopback server that records what reaches it and answers with whatever the test sets. */
interface Probe {
  server: Server;
  url: string;
  hits: string[];
  answer: { status: number; type: string; body: string };
}
async function startProbe(): Promise<Probe> {
  const probe = { hits: [] as string[], answer: { status: 401, type: 'application/json', body: '{}' } } as Probe;
  probe.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      probe.hits.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${Buffer.concat(chunks).toString()}`);
      res.writeHead(probe.answer.status, { 'content-type': probe.answer.type }).end(probe.answer.body);
    });
  });
  await new Promise<void>((resolve) => probe.server.listen(0, '127.0.0.1', resolve));
  probe.url = `http://127.0.0.1:${(probe.server.address() as AddressInfo).port}`;
  return probe;
}

let capture: Probe;

beforeAll(async () => {
  installLocalSettings();
  h = harness();
  fakes = await startAllFakes();
  capture = await startProbe();
});
afterAll(async () => {
  await fakes?.stop();
  await new Promise((resolve) => capture?.server.close(resolve));
});
beforeEach(() => {
  capture.hits.length = 0;
});

const F = 'https://vendor.example';
const OTHER = 'https://elsewhere.example:8443';
/** Per vendor: a saved config, each destination field changed, and fields that are not destinations. */
const FIELDS: Record<
  VendorId,
  {
    saved: Record<string, unknown>;
    destination: Record<string, Record<string, unknown>>;
    other: Record<string, unknown>[];
  }
> = {
  autotask: {
    saved: { baseUrl: F },
    destination: { baseUrl: { baseUrl: OTHER }, zoneUrl: { baseUrl: F, zoneUrl: `${OTHER}/ATServicesRest` } },
    other: [{ baseUrl: `${F}/`, zoneUrl: 'https://webservices5.autotask.net/ATServicesRest' }],
  },
  halopsa: {
    saved: { tenant: 'acme' },
    destination: { tenant: { tenant: 'attacker' }, baseUrl: { baseUrl: OTHER } },
    other: [{ tenant: 'acme', scope: 'read:tickets' }],
  },
  'datto-rmm': {
    saved: { platform: 'pinotage' },
    destination: { platform: { platform: 'merlot' }, baseUrl: { baseUrl: OTHER } },
    other: [{ platform: 'pinotage', apiKeyExpiresAt: '2027-01-01' }],
  },
  'datto-edr': {
    saved: { instance: 'acme' },
    destination: { instance: { instance: 'attacker' }, baseUrl: { baseUrl: OTHER } },
    other: [{ instance: 'acme', tokenCreatedAt: '2026-01-01' }],
  },
  itglue: {
    saved: { region: 'us' },
    destination: { region: { region: 'eu' }, baseUrl: { baseUrl: OTHER } },
    other: [{ region: 'us' }],
  },
  pax8: {
    saved: {},
    destination: { baseUrl: { baseUrl: `${OTHER}/v1` }, tokenUrl: { tokenUrl: `${OTHER}/oauth/token` } },
    other: [{ audience: 'api://other' }],
  },
  unifi: {
    saved: { mode: 'site-manager' },
    destination: {
      baseUrl: { mode: 'site-manager', baseUrl: OTHER },
      'mode/consoleUrl': { mode: 'network', consoleUrl: OTHER },
    },
    other: [{ mode: 'site-manager', baseUrl: 'https://api.ui.com/' }],
  },
  microsoft365: {
    saved: { tenantId: M365_FAKE_TENANT },
    destination: {
      baseUrl: { tenantId: M365_FAKE_TENANT, baseUrl: OTHER },
      loginBaseUrl: { tenantId: M365_FAKE_TENANT, loginBaseUrl: OTHER },
      graphBaseUrl: { tenantId: M365_FAKE_TENANT, graphBaseUrl: OTHER },
    },
    other: [{ tenantId: 'fabrikam.onmicrosoft.com', checkGdap: false, scope: 'https://graph.microsoft.us/.default' }],
  },
};

const destinations = (vendor: VendorId, config: Record<string, unknown>) => destinationsOf(vendor, config);

describe('destination fields', () => {
  it.each(VENDOR_IDS)('%s: each destination field adds a destination; other fields do not', (vendor) => {
    const { saved, destination, other } = FIELDS[vendor];
    const bound = destinations(vendor, saved);
    for (const [field, config] of Object.entries(destination)) {
      expect(uncoveredDestinations(destinations(vendor, config), bound), field).not.toEqual([]);
    }
    for (const config of other) expect(uncoveredDestinations(destinations(vendor, config), bound)).toEqual([]);
  });
});

describe('sessions send stored credentials only where they were saved for', () => {
  it('a stored config changed behind the API is refused by the session port: nothing reaches the new host', async () => {
    const caller = adminOf();
    const created = await createIntegration(
      h.integrations,
      caller,
      {
        vendor: 'datto-edr',
        name: 'edr',
        credentials: FAKE_CREDENTIALS['datto-edr'],
        config: fakeConfig('datto-edr', fakes.baseUrls['datto-edr']),
      },
      { skipTest: false, correlationId: 'dest-1' },
    );
    // Whatever rewrites the row (a bug, a restore, a hand edit), the binding written with the
    // credentials still holds.
    const row = await h.integrations.tables.integrations.get(caller.tenantId, created.id);
    await h.integrations.tables.integrations.replace(
      caller.tenantId,
      created.id,
      { ...row!.value, config: JSON.stringify({ baseUrl: capture.url }) },
      row!.etag,
    );
    const { connector, session } = await openIntegrationSession(h.integrations, caller.tenantId, created.id, 'dest-2');
    const run = await probeOnce(connector, session);
    expect(run.classification).toMatchObject({ state: 'needs_attention', reason: 'blocked' });
    expect(run.classification.hint).toContain('enter the credentials again');
    expect(capture.hits).toEqual([]);
  });

  it('an Autotask zone lookup naming a host outside Autotask and the lookup host gets no credentials', async () => {
    const lookup = await startProbe();
    try {
      lookup.answer = {
        status: 200,
        type: 'application/json',
        body: JSON.stringify({ zoneName: 'Elsewhere', url: `${capture.url}/ATServicesRest/` }),
      };
      const result = await testUnsavedConnection(
        adminOf(),
        { vendor: 'autotask', credentials: FAKE_CREDENTIALS.autotask, config: { baseUrl: lookup.url } },
        'dest-3',
      );
      expect(result).toMatchObject({ ok: false, status: 'needs_attention' });
      expect(lookup.hits).toHaveLength(1);
      expect(capture.hits).toEqual([]);
    } finally {
      await new Promise((resolve) => lookup.server.close(resolve));
    }
  });
});

describe('a vendor answer is not a read gadget', () => {
  const secretish = 'password=hunter2 AKIAIOSFODNN7EXAMPLE -----BEGIN PRIVATE KEY-----';

  it.each(VENDOR_IDS)('%s: an HTML page comes back as a generic message with the status', async (vendor) => {
    capture.answer = {
      status: 401,
      type: 'text/html',
      body: `<html><body><h1>Internal wiki</h1><p>${secretish}</p>${'<p>row</p>'.repeat(2000)}</body></html>`,
    };
    const result = await testUnsavedConnection(
      adminOf(),
      { vendor, credentials: FAKE_CREDENTIALS[vendor], config: fakeConfig(vendor, capture.url) },
      `echo-html-${vendor}`,
    );
    expect(result.ok).toBe(false);
    expect(result.vendorStatus).toBe(401);
    expect(result.vendorMessage).toMatch(/^HTTP 401 without an error message/);
    expect(result.vendorMessage).not.toContain('hunter2');
  });

  it.each(VENDOR_IDS)(
    '%s: a known shape with a huge message is bounded and stripped of control characters',
    async (vendor) => {
      const huge = `Denied\u001b[2J\r\n${secretish} ${'x'.repeat(10_000)}`;
      capture.answer = {
        status: 400,
        type: 'application/json',
        body: JSON.stringify({ message: huge, error_description: huge, errors: [huge] }),
      };
      const result = await testUnsavedConnection(
        adminOf(),
        { vendor, credentials: FAKE_CREDENTIALS[vendor], config: fakeConfig(vendor, capture.url) },
        `echo-json-${vendor}`,
      );
      expect(result.ok).toBe(false);
      const message = result.vendorMessage ?? '';
      expect(message.startsWith('Denied')).toBe(true);
      expect([...message].length).toBeLessThanOrEqual(MAX_VENDOR_MESSAGE);
      expect([...message].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    },
  );

  it('a 2xx body that is not the vendor API is not repeated either', async () => {
    capture.answer = { status: 200, type: 'text/html', body: `<html>${secretish}</html>` };
    const result = await testUnsavedConnection(
      adminOf(),
      { vendor: 'datto-edr', credentials: FAKE_CREDENTIALS['datto-edr'], config: { baseUrl: capture.url } },
      'echo-2xx',
    );
    expect(result).toMatchObject({ ok: false, status: 'needs_attention', vendorStatus: 200 });
    expect(result.vendorMessage).not.toContain('hunter2');
    expect(result.vendorMessage).toContain('HTTP 200 with a text body');
  });
});
