import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';

/**
 * Halo PSA's authorisation-code flow end to end through the local host and the fake Halo
 * (docs/integrations.md "Halo PSA authorisation"): the hub hands out the authorize URL, the test
 * plays the admin's browser (GET it at the fake, follow the redirect to the hub's callback), the
 * fake checks PKCE, rotates refresh tokens and refuses a reused one, and a grant without a scope
 * the hub needs is named. Time moves on the host's virtual clock, never by waiting.
 *
 * PUBLIC_BASE_URL is a name (`http://hub.test`) rather than the host's random port: the browser
 * step swaps that origin for the host's address, as DNS would, so the redirect URI the hub
 * registers and the one the fake checks stay one exact string.
 */
const PUBLIC = 'http://hub.test';
const REDIRECT = `${PUBLIC}/api/oauth/halopsa/callback`;
let host: HostProcess;
let halo: HaloFakeServer;
let key: string;

beforeAll(async () => {
  halo = createHaloFake();
  await halo.start();
  const env = sharedAzuriteEnv({ PUBLIC_BASE_URL: PUBLIC, API_RATE_LIMIT_PER_MINUTE: '100000' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
});

afterAll(async () => {
  await host?.stop();
  await halo?.stop();
});

async function createAuthCodeIntegration(name: string): Promise<string> {
  // Nothing can be tested before the admin has authorised, so the create skips the test.
  const res = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', {
    key,
    body: {
      vendor: 'halopsa',
      name,
      credentials: { ...HALO_FAKE_CREDENTIALS },
      config: { baseUrl: halo.baseUrl, grant: 'authorization_code' },
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

/** POST …/oauth/authorize, then what the admin's browser does: open it, follow Halo's redirect. */
async function authorise(id: string): Promise<{ callbackPath: string; page: Awaited<ReturnType<typeof call>> }> {
  const started = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/oauth/authorize`, { key });
  expect(started.status, started.text).toBe(200);
  expect(started.json.redirectUri).toBe(REDIRECT);
  const authorizeUrl = new URL(started.json.authorizeUrl as string);
  expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(REDIRECT);
  const atHalo = await fetch(authorizeUrl, { redirect: 'manual' });
  await atHalo.arrayBuffer();
  expect(atHalo.status).toBe(302);
  const back = new URL(atHalo.headers.get('location') ?? '');
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  const callbackPath = `${back.pathname}${back.search}`;
  return { callbackPath, page: await call(host.baseUrl, 'GET', callbackPath) };
}

async function testSaved(id: string) {
  const res = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/test`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

const advance = async (ms: number) => {
  const res = await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: ms } });
  expect(res.status, res.text).toBe(200);
};

describe('Halo PSA authorisation code flow', () => {
  it('authorises in the browser, shows the redirect URI, and refreshes with rotation', async () => {
    halo.grantedScopes = undefined;
    const id = await createAuthCodeIntegration('Halo (browser)');

    const before = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}`, { key });
    expect(before.json.oauth).toMatchObject({ redirectUri: REDIRECT, authorised: false });
    const untested = await testSaved(id);
    expect(untested.ok).toBe(false);
    expect(untested.hint).toMatch(/oauth\/authorize/);

    const { callbackPath, page } = await authorise(id);
    expect(page.status, page.text).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).toContain('Every scope the hub needs was granted');

    const after = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}`, { key });
    expect(after.json.oauth).toMatchObject({ redirectUri: REDIRECT, authorised: true, missingScopes: [] });
    // Nothing secret comes back: neither tokens nor the encrypted grant.
    expect(after.text).not.toMatch(/halo-refresh-|halo-code-|encryptedGrant/);

    // The callback URL works once.
    const replayed = await call(host.baseUrl, 'GET', callbackPath);
    expect(replayed.status).toBe(400);
    expect(replayed.json.code).toBe('oauth_state_invalid');

    const first = await testSaved(id);
    expect(first).toMatchObject({ ok: true, status: 'connected' });
    expect(halo.refreshes).toBe(0);

    // 59 minutes on: under two minutes of the access token left, so the next call refreshes.
    await advance(59 * 60_000);
    expect(await testSaved(id)).toMatchObject({ ok: true, status: 'connected' });
    expect(halo.refreshes).toBe(1);
    // The rotated refresh token was stored: the next refresh presents it, and Halo accepts it.
    await advance(59 * 60_000);
    expect(await testSaved(id)).toMatchObject({ ok: true, status: 'connected' });
    expect(halo.refreshes).toBe(2);
    expect(halo.reusedRefreshTokens).toBe(0);

    // Two calls that both find the token due: one rotation wins, the other uses its result, and
    // the token stored afterwards is the live one (the next refresh succeeds).
    await advance(59 * 60_000);
    const both = await Promise.all([testSaved(id), testSaved(id)]);
    for (const result of both) expect(result).toMatchObject({ ok: true, status: 'connected' });
    await advance(59 * 60_000);
    expect(await testSaved(id)).toMatchObject({ ok: true, status: 'connected' });
  });

  it('pushes a webhook to Halo with the grant the admin authorised, never by client credentials', async () => {
    halo.grantedScopes = undefined;
    const id = await createAuthCodeIntegration('Halo (browser, push)');
    expect((await authorise(id)).page.status).toBe(200);
    const clientCredentialTokens = () =>
      halo.requests.filter((r) => r.path === '/auth/token' && r.body.includes('grant_type=client_credentials')).length;
    const before = clientCredentialTokens();

    const hook = await call(host.baseUrl, 'POST', '/api/v1/webhooks', { key, body: { integrationId: id } });
    expect(hook.status, hook.text).toBe(201);
    const pushed = await call(host.baseUrl, 'POST', `/api/v1/webhooks/${hook.json.id}/push`, { key, body: {} });
    expect(pushed.status, pushed.text).toBe(200);
    expect(pushed.json.vendorRegistration).toMatchObject({ vendor: 'halopsa', active: true });
    // The webhook reached Halo with Basic credentials for the hub, and its bearer came from the grant.
    expect([...halo.webhooks.values()].some((w) => w.url.includes(String(hook.json.id)))).toBe(true);
    expect(clientCredentialTokens()).toBe(before);
  });

  it('names a scope Halo did not grant, in the test, the integration and the probe status', async () => {
    halo.grantedScopes = 'read:tickets read:customers read:assets read:users edit:webhooks';
    try {
      const id = await createAuthCodeIntegration('Halo (fewer scopes)');
      const { page } = await authorise(id);
      expect(page.status, page.text).toBe(200);
      expect(page.text).toContain('edit:tickets');

      const view = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}`, { key });
      expect(view.json.oauth).toMatchObject({ authorised: true, missingScopes: ['edit:tickets'] });

      const tested = await testSaved(id);
      expect(tested).toMatchObject({ ok: true, status: 'needs_attention', missingScopes: ['edit:tickets'] });
      expect(tested.hint).toContain('edit:tickets');

      const recheck = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/recheck?wait=20`, { key });
      expect(recheck.status, recheck.text).toBe(200);
      expect(JSON.stringify(recheck.json)).toContain('edit:tickets');
      expect(recheck.json.state ?? (recheck.json.status as { state?: string } | undefined)?.state).toBe(
        'needs_attention',
      );
    } finally {
      halo.grantedScopes = undefined;
    }
  });

  it('refuses unknown states, Halo refusals and integrations that are not authorised in a browser', async () => {
    const unknown = await call(host.baseUrl, 'GET', '/api/oauth/halopsa/callback?state=nope&code=x');
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe('oauth_state_invalid');

    const noState = await call(host.baseUrl, 'GET', '/api/oauth/halopsa/callback?code=x');
    expect(noState.status).toBe(400);
    expect(noState.headers.get('content-type')).toMatch(/problem\+json/);

    // The admin cancels at Halo: the state is spent, nothing stored.
    const id = await createAuthCodeIntegration('Halo (cancelled)');
    const started = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/oauth/authorize`, { key });
    const state = new URL(started.json.authorizeUrl as string).searchParams.get('state') ?? '';
    const denied = await call(
      host.baseUrl,
      'GET',
      `/api/oauth/halopsa/callback?state=${encodeURIComponent(state)}&error=access_denied`,
    );
    expect(denied.status).toBe(400);
    expect(denied.json.code).toBe('oauth_denied');
    const again = await call(
      host.baseUrl,
      'GET',
      `/api/oauth/halopsa/callback?state=${encodeURIComponent(state)}&code=anything`,
    );
    expect(again.json.code).toBe('oauth_state_invalid');
    const view = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}`, { key });
    expect(view.json.oauth).toMatchObject({ authorised: false });

    // A state expires after 10 minutes.
    const late = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/oauth/authorize`, { key });
    await advance(11 * 60_000);
    const atHalo = await fetch(late.json.authorizeUrl as string, { redirect: 'manual' });
    await atHalo.arrayBuffer();
    const back = new URL(atHalo.headers.get('location') ?? '');
    const expired = await call(host.baseUrl, 'GET', `${back.pathname}${back.search}`);
    expect(expired.json.code).toBe('oauth_state_invalid');

    // A client-credentials integration is not authorised in a browser.
    const cc = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', {
      key,
      body: {
        vendor: 'halopsa',
        name: 'Halo (client credentials)',
        credentials: { ...HALO_FAKE_CREDENTIALS },
        config: { baseUrl: halo.baseUrl },
      },
    });
    const refused = await call(host.baseUrl, 'POST', `/api/v1/integrations/${cc.json.id as string}/oauth/authorize`, {
      key,
    });
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe('oauth_not_available');
    expect(cc.json.oauth).toBeUndefined();
  });
});
