import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connector } from '../../shared/vendors/pax8';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import { fakeSession } from '../fakes/core/session';
import { createPax8Fake, PAX8_FAKE_AUDIENCE, PAX8_FAKE_CREDENTIALS } from '../fakes/pax8';
import { expectVendorError, onlyRequest, probeFaultCases } from '../support/vendor-connector-kit';

let server: FakeVendorServer;
let baseUrl: string;

beforeAll(async () => {
  server = createPax8Fake();
  baseUrl = await server.start();
});
afterEach(() => server.reset());
afterAll(() => server.stop());

const session = (options: { credentials?: object; timeoutMs?: number; audience?: string } = {}) =>
  fakeSession(
    'pax8',
    connector,
    options.credentials ?? PAX8_FAKE_CREDENTIALS,
    {
      baseUrl: `${baseUrl}/v1`,
      tokenUrl: `${baseUrl}/oauth/token`,
      ...(options.audience ? { audience: options.audience } : {}),
    },
    options,
  );

describe('Pax8 connector against its fake', () => {
  it('probes with good credentials: a JSON client_credentials token with the audience, then one company page', async () => {
    const result = await connector.probe(session());
    expect(result.notes?.[0]).toContain('3 companies');

    const token = onlyRequest(server, 'POST', '/oauth/token');
    expect(token.headers['content-type']).toMatch(/^application\/json/);
    expect(token.json).toEqual({
      client_id: PAX8_FAKE_CREDENTIALS.clientId,
      client_secret: PAX8_FAKE_CREDENTIALS.clientSecret,
      audience: PAX8_FAKE_AUDIENCE,
      grant_type: 'client_credentials',
    });
    const probe = onlyRequest(server, 'GET', '/v1/companies');
    expect(probe.query).toEqual({ page: '0', size: '1' });
    expect(probe.headers.authorization).toMatch(/^Bearer pax8-/);
  });

  it('bad credentials (a rotated secret) are kind auth with the message verbatim, one token request, no probe', async () => {
    const error = await expectVendorError(
      connector.probe(session({ credentials: { ...PAX8_FAKE_CREDENTIALS, clientSecret: 'rotated' } })),
      'auth',
    );
    expect(error.vendorMessage).toBe('Unauthorized');
    expect(error.vendorCode).toBe('access_denied');
    expect(error.httpStatus).toBe(401);
    expect(server.count('POST', '/oauth/token')).toBe(1);
    expect(server.count('GET', '/v1/companies')).toBe(0);
  });

  it('an audience these credentials are not enabled for is refused by the token service as forbidden', async () => {
    // api://usage is in Pax8's audience enum but belongs to vendor usage APIs, not partner clients.
    const error = await expectVendorError(connector.probe(session({ audience: 'api://usage' })), 'forbidden');
    expect(error.vendorMessage).toBe('Service not enabled within domain: api://usage');
  });

  it("an audience outside Pax8's published enum breaks its TokenRequest and is refused as a bad request", async () => {
    await expectVendorError(connector.probe(session({ audience: 'api://wrong' })), 'rejected');
    expect(server.refusals.at(-1)).toMatchObject({ path: '/oauth/token', violations: [{ at: 'body.audience' }] });
  });

  it('the token is cached per integration: two probes, one token request', async () => {
    const one = session();
    await connector.probe(one);
    await connector.probe(one);
    expect(server.count('POST', '/oauth/token')).toBe(1);
    expect(server.count('GET', '/v1/companies')).toBe(2);
  });

  it('the registered fake accepts its published credentials with its published config (npm start, README tour)', async () => {
    const result = await connector.probe(
      fakeSession('pax8', connector, FAKE_CREDENTIALS.pax8, fakeConfig('pax8', baseUrl)),
    );
    expect(result.notes?.length).toBeGreaterThan(0);
  });

  probeFaultCases(it, {
    server: () => server,
    probe: (options) => connector.probe(session(options)),
    probePath: '/v1/companies',
  });
});
