import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendorId } from '../../shared/vendors/contract';
import { connectorFor } from '../../shared/vendors/registry';
import { FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { fakeSession } from '../fakes/core/session';
import { UNIFI_FAKE_CREDENTIALS, UNIFI_FAKE_DEVICE_ID, UNIFI_FAKE_SITE_ID } from '../fakes/unifi';

/**
 * One rejection per vendor (docs/vendor-fidelity.md): each fake refuses a request that breaks its
 * vendor's published description — or, where none is published, what the vendor's documentation
 * supports — with the status and error shape that vendor uses, and records the refusal.
 */
let fakes: RunningFakes;
beforeAll(async () => {
  fakes = await startAllFakes();
});
afterAll(() => fakes?.stop());

const url = (vendor: VendorId, path: string) => `${fakes.baseUrls[vendor]}${path}`;

/** A bearer the fake issued: a probe through the real connector, then its Authorization header. */
async function bearerOf(vendor: VendorId, path: RegExp): Promise<string> {
  const connector = connectorFor(vendor);
  await connector.probe(
    fakeSession(vendor, connector, FAKE_CREDENTIALS[vendor], fakeConfig(vendor, fakes.baseUrls[vendor])),
  );
  const seen = fakes.servers[vendor].requests.filter((r) => path.test(r.path) && r.headers.authorization);
  return seen.at(-1)!.headers.authorization!;
}

const post = (target: string, headers: Record<string, string>, body: unknown, method = 'POST') =>
  fetch(target, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('each fake refuses what its vendor refuses', () => {
  it('Autotask: a TicketWebhook Name over 50 characters → 500 {errors}', async () => {
    const response = await post(
      url('autotask', '/ATServicesRest/V1.0/TicketWebhooks'),
      {
        apiintegrationcode: FAKE_AUTOTASK_CREDENTIALS.integrationCode,
        username: FAKE_AUTOTASK_CREDENTIALS.username,
        secret: FAKE_AUTOTASK_CREDENTIALS.secret,
      },
      { name: 'x'.repeat(51), webhookUrl: 'https://hub.example/h', secretKey: 's', isActive: true },
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as { errors: string[] }).errors.join(' ')).toMatch(/body\.name/);
    expect(fakes.servers.autotask.refusals.at(-1)?.path).toMatch(/TicketWebhooks$/);
  });

  it('Halo PSA: a Webhook whose method is text, not Halo’s integer → 400 ASP.NET validation problem', async () => {
    const bearer = await bearerOf('halopsa', /^\/api\//);
    const response = await post(url('halopsa', '/api/Webhook'), { authorization: bearer }, [
      { name: 'x', url: 'https://hub.example/h', method: 'POST' },
    ]);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { title: string; errors: Record<string, string[]> };
    expect(problem.title).toBe('One or more validation errors occurred.');
    expect(Object.keys(problem.errors)).toContain('$[0].method');
  });

  it('Datto RMM: a quick job without jobComponent → 400 {error, message}', async () => {
    const bearer = await bearerOf('datto-rmm', /^\/api\//);
    const response = await post(
      url('datto-rmm', '/api/v2/device/dev-1/quickjob'),
      { authorization: bearer },
      { jobName: 'Restart' },
      'PUT',
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/body\.jobComponent is required/);
  });

  it('Datto EDR: toggleIsolation without ids → 422 LoopBack ValidationError', async () => {
    const response = await post(
      url('datto-edr', '/api/Agents/toggleIsolation'),
      { authorization: FAKE_CREDENTIALS['datto-edr'].apiToken! },
      { isolated: true },
    );
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: { statusCode: 422, name: 'ValidationError' } });
    expect(fakes.servers['datto-edr'].refusals).toHaveLength(1);
  });

  it('IT Glue: a request declaring application/json instead of the JSON:API media type → 415 JSON:API errors', async () => {
    const response = await fetch(url('itglue', '/organizations?page[size]=1'), {
      headers: { 'x-api-key': FAKE_CREDENTIALS.itglue.apiKey!, 'content-type': 'application/json' },
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ errors: [{ status: '415', title: 'Unsupported Media Type' }] });
    // What the connector sends passes.
    const connector = connectorFor('itglue');
    await connector.probe(
      fakeSession('itglue', connector, FAKE_CREDENTIALS.itglue, fakeConfig('itglue', fakes.baseUrls.itglue)),
    );
    expect(fakes.servers.itglue.refusals).toHaveLength(1);
  });

  it('Pax8: a token request with an audience outside the published enum → 400 invalid_request', async () => {
    const response = await post(
      url('pax8', '/oauth/token'),
      {},
      {
        client_id: FAKE_CREDENTIALS.pax8.clientId,
        client_secret: FAKE_CREDENTIALS.pax8.clientSecret,
        audience: 'api://wrong',
        grant_type: 'client_credentials',
      },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('UniFi Network: a device action other than RESTART → 400 {statusCode, statusName, message}', async () => {
    const response = await post(
      url('unifi', `/proxy/network/integration/v1/sites/${UNIFI_FAKE_SITE_ID}/devices/${UNIFI_FAKE_DEVICE_ID}/actions`),
      { 'x-api-key': UNIFI_FAKE_CREDENTIALS.apiKey },
      { action: 'REBOOT' },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, statusName: 'BAD_REQUEST' });
    expect(fakes.servers.unifi.refusals.at(-1)?.violations[0]?.at).toBe('body.action');
  });

  it('Microsoft Graph: a users subscription with changeType created → 400 Graph error envelope', async () => {
    const bearer = await bearerOf('microsoft365', /^\/v1\.0\//);
    const response = await post(
      url('microsoft365', '/v1.0/subscriptions'),
      { authorization: bearer },
      {
        changeType: 'created',
        notificationUrl: 'https://hub.example/api/hooks/x',
        resource: 'users',
        expirationDateTime: '2030-01-01T00:00:00Z',
        clientState: 'secret',
      },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toMatch(/ChangeType 'created' is not supported/);
    expect(fakes.servers.microsoft365.refusals.at(-1)?.violations[0]?.at).toBe('body.changeType');
  });

  it('Microsoft Graph: a subscription with a property graph.subscription does not declare → 400 (held to the CSDL slice)', async () => {
    const bearer = await bearerOf('microsoft365', /^\/v1\.0\//);
    const response = await post(
      url('microsoft365', '/v1.0/subscriptions'),
      { authorization: bearer },
      {
        changeType: 'updated',
        notificationUrl: 'https://hub.example/api/hooks/x',
        resource: 'users',
        expirationDateTime: '2030-01-01T00:00:00Z',
        clientSecret: 'not a subscription property',
      },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/body\.clientSecret is not a field/);
    expect(fakes.servers.microsoft365.refusals.at(-1)?.violations[0]?.at).toBe('body.clientSecret');
  });
});
