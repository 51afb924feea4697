import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { connector } from '../../shared/vendors/microsoft365';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import { fakeSession } from '../fakes/core/session';
import {
  GRAPH_SCOPE,
  gdapRelationship,
  M365_FAKE_CREDENTIALS,
  M365_FAKE_TENANT,
  M365FakeServer,
} from '../fakes/microsoft365';
import { expectVendorError, onlyRequest, probeFaultCases } from '../support/vendor-connector-kit';

let server: M365FakeServer;
let baseUrl: string;
const healthy = () => [gdapRelationship({ endDateTime: '2099-01-01T00:00:00Z' })];

beforeAll(async () => {
  server = new M365FakeServer();
  baseUrl = await server.start();
});
afterEach(() => {
  server.reset();
  server.relationships = healthy();
  server.gdapPageSize = 100;
});
afterAll(() => server.stop());

const GDAP = '/v1.0/tenantRelationships/delegatedAdminRelationships';
const DAY = 24 * 60 * 60 * 1000;

const session = (options: { credentials?: object; timeoutMs?: number; config?: Record<string, unknown> } = {}) =>
  fakeSession(
    'microsoft365',
    connector,
    options.credentials ?? M365_FAKE_CREDENTIALS,
    { tenantId: M365_FAKE_TENANT, baseUrl, ...options.config },
    options,
  );

describe('Microsoft 365 connector against its fake', () => {
  it('probes: a client-credentials token for Graph, then /organization and the GDAP relationships', async () => {
    const result = await connector.probe(session());
    expect(result.notes).toEqual(['Signed in to the tenant "Contoso MSP".', '1 GDAP relationship read.']);
    expect(result.expiries).toBeUndefined();

    const token = onlyRequest(server, 'POST', `/${M365_FAKE_TENANT}/oauth2/v2.0/token`);
    expect(token.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      client_id: M365_FAKE_CREDENTIALS.clientId,
      client_secret: M365_FAKE_CREDENTIALS.clientSecret,
      scope: GRAPH_SCOPE,
      grant_type: 'client_credentials',
    });
    const organization = onlyRequest(server, 'GET', '/v1.0/organization');
    expect(organization.headers.authorization).toMatch(/^Bearer /);
    expect(onlyRequest(server, 'GET', GDAP).headers.authorization).toBe(organization.headers.authorization);
  });

  it('sends the token request to the login host and Graph calls to the Graph host', async () => {
    const login = new M365FakeServer();
    const loginUrl = await login.start();
    try {
      // The login fake issues the token, so the Graph fake (which never issued it) refuses it.
      const probe = connector.probe(
        session({ config: { baseUrl: undefined, loginBaseUrl: loginUrl, graphBaseUrl: baseUrl } }),
      );
      await expectVendorError(probe, 'auth');
      expect(login.count('POST', `/${M365_FAKE_TENANT}/oauth2/v2.0/token`)).toBe(1);
      expect(login.count('GET', '/v1.0/organization')).toBe(0);
      expect(server.count('POST', `/${M365_FAKE_TENANT}/oauth2/v2.0/token`)).toBe(0);
      expect(server.count('GET', '/v1.0/organization')).toBe(1);
    } finally {
      await login.stop();
    }
  });

  it('a wrong client secret is kind auth with the AADSTS message verbatim, one token request, no Graph call', async () => {
    const error = await expectVendorError(
      connector.probe(session({ credentials: { ...M365_FAKE_CREDENTIALS, clientSecret: 'wrong' } })),
      'auth',
    );
    expect(error.vendorMessage).toMatch(/^AADSTS7000215: Invalid client secret provided\./);
    expect(error.vendorCode).toBe('invalid_client');
    expect(server.count('POST', `/${M365_FAKE_TENANT}/oauth2/v2.0/token`)).toBe(1);
    expect(server.count('GET', '/v1.0/organization')).toBe(0);
  });

  it('an unknown application id is kind auth too (400 unauthorized_client)', async () => {
    const error = await expectVendorError(
      connector.probe(session({ credentials: { ...M365_FAKE_CREDENTIALS, clientId: 'not-registered' } })),
      'auth',
    );
    expect(error.httpStatus).toBe(400);
    expect(error.vendorMessage).toMatch(/^AADSTS700016:/);
  });

  it('an unknown tenant is kind not_found (a wrong setting) with the AADSTS message', async () => {
    const error = await expectVendorError(
      connector.probe(session({ config: { tenantId: 'nobody.onmicrosoft.com' } })),
      'not_found',
    );
    expect(error.httpStatus).toBe(400);
    expect(error.vendorMessage).toMatch(/^AADSTS90002: Tenant 'nobody.onmicrosoft.com' not found\./);
    expect(server.count('GET', '/v1.0/organization')).toBe(0);
  });

  it('reports expiring GDAP relationships and those ending within 30 days, with their dates', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const restore = installClock(clock);
    try {
      const at = (days: number) => new Date(Date.UTC(2026, 5, 1) + days * DAY).toISOString();
      server.relationships = [
        gdapRelationship({ displayName: 'Far away', endDateTime: at(200) }),
        gdapRelationship({
          displayName: 'Soon',
          endDateTime: at(20),
          customer: { tenantId: 't1', displayName: 'Fabrikam' },
        }),
        gdapRelationship({ displayName: 'Marked expiring', status: 'expiring', endDateTime: at(45) }),
        gdapRelationship({ displayName: 'Already gone', status: 'expired', endDateTime: at(-3) }),
        gdapRelationship({ displayName: 'Edge', endDateTime: at(30) }),
      ];
      const result = await connector.probe(session());
      expect(result.expiries).toEqual([
        { what: 'GDAP relationship "Soon" with Fabrikam (active)', at: at(20) },
        { what: 'GDAP relationship "Edge" with Contoso Ltd (active)', at: at(30) },
        { what: 'GDAP relationship "Marked expiring" with Contoso Ltd (expiring)', at: at(45) },
      ]);
      expect(result.notes).toContain('1 GDAP relationship is expiring.');
    } finally {
      restore();
    }
  });

  it('follows @odata.nextLink through every GDAP page', async () => {
    server.gdapPageSize = 2;
    server.relationships = [1, 2, 3, 4, 5].map((n) =>
      gdapRelationship({
        displayName: `R${n}`,
        status: n === 5 ? 'expiring' : 'active',
        endDateTime: '2099-01-01T00:00:00Z',
      }),
    );
    const result = await connector.probe(session());
    expect(server.count('GET', GDAP)).toBe(3);
    expect(result.notes).toContain('5 GDAP relationships read.');
    expect(result.expiries?.map((e) => e.what)).toEqual(['GDAP relationship "R5" with Contoso Ltd (expiring)']);
  });

  it('checkGdap false skips the GDAP read', async () => {
    await connector.probe(session({ config: { checkGdap: false } }));
    expect(server.count('GET', GDAP)).toBe(0);
  });

  it('a 403 on GDAP (permission missing) is kind forbidden with Graph’s message', async () => {
    server.injectFault(
      {
        kind: 'status',
        status: 403,
        body: {
          error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
        },
      },
      { path: GDAP },
    );
    const error = await expectVendorError(connector.probe(session()), 'forbidden');
    expect(error.operation).toBe('gdap');
    expect(error.vendorCode).toBe('Authorization_RequestDenied');
    expect(error.vendorMessage).toBe('Insufficient privileges to complete the operation.');
  });

  it('the registered fake accepts its published credentials with its published config (npm start, README tour)', async () => {
    const result = await connector.probe(
      fakeSession('microsoft365', connector, FAKE_CREDENTIALS.microsoft365, fakeConfig('microsoft365', baseUrl)),
    );
    expect(result.notes?.length).toBeGreaterThan(0);
  });

  probeFaultCases(it, {
    server: () => server,
    probe: (options) => connector.probe(session(options)),
    probePath: '/v1.0/organization',
  });
});
