import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../shared/config/settings';
import { classifyFailure } from '../../shared/integrations/classify';
import { certificatePins } from '../../shared/integrations/sessions';
import { networkPolicyFromSettings, normalizeFingerprint, OutboundUrlBlockedError } from '../../shared/net/guard';
import { closeGuardedAgents, guardedFetch, OutboundRequestError } from '../../shared/net/guarded-fetch';
import { createVendorHttp } from '../../shared/vendors/core/vendor-http';
import { connector } from '../../shared/vendors/unifi';
import { type UnifiConfig, unifiConfigSchema } from '../../shared/vendors/unifi/config';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import {
  createUnifiFake,
  selfSignedConsoleCertificate,
  startUnifiHttpsFront,
  UNIFI_FAKE_CREDENTIALS,
  UNIFI_FAKE_VERSION,
  type UnifiHttpsFront,
} from '../fakes/unifi';
import { expectVendorError } from '../support/vendor-connector-kit';

/**
 * A UniFi console's self-signed https (docs/decisions.md "UniFi console certificate pinning"): the
 * fake Network API behind a loopback TLS front with a certificate made for this run. Sessions are
 * built the way shared/integrations/sessions.ts builds them: the config's pin goes into the policy.
 */
let fake: FakeVendorServer;
let front: UnifiHttpsFront;
let certificate: ReturnType<typeof selfSignedConsoleCertificate>;
/** Another certificate's fingerprint: what a replaced console (or an impostor) would show. */
let otherFingerprint: string;

beforeAll(async () => {
  certificate = selfSignedConsoleCertificate();
  otherFingerprint = selfSignedConsoleCertificate('Impostor').sha256;
  fake = createUnifiFake();
  await fake.start();
  front = await startUnifiHttpsFront(fake, certificate);
});
afterEach(() => fake.reset());
afterAll(async () => {
  await closeGuardedAgents();
  await front?.stop();
  await fake?.stop();
});

const development = { HUB_ENVIRONMENT: 'development' } as Settings;

function consoleSession(extra: { certificateSha256?: string } = {}) {
  const config: UnifiConfig = unifiConfigSchema.parse({ mode: 'network', consoleUrl: front.baseUrl, ...extra });
  const policy = networkPolicyFromSettings(development, { certificatePins: certificatePins('unifi', config) });
  return {
    tenantId: 'tenant-pin',
    integrationId: `int-pin-${Math.random().toString(36).slice(2)}`,
    credentials: UNIFI_FAKE_CREDENTIALS,
    config,
    http: createVendorHttp({ vendor: 'unifi', policy, timeoutMs: 5000 }),
    correlationId: 'corr-pin',
  };
}

describe('UniFi console over a self-signed certificate', () => {
  it('without a pin: refused as untrusted, needs_attention with a hint naming certificateSha256', async () => {
    const error = await expectVendorError(connector.probe(consoleSession()), 'blocked');
    expect(error.vendorMessage).toContain('not trusted');
    const classified = classifyFailure(connector, error);
    expect(classified.state).toBe('needs_attention');
    expect(classified.retry).toEqual({ kind: 'none' });
    expect(classified.hint).toContain('certificateSha256');
    expect(classified.hint).toContain('SHA-256 fingerprint');
    expect(front.applicationBytes).toBe(0);
    expect(fake.requests).toHaveLength(0);
  });

  it('with the right pin (any spelling): connected, and the fake saw the probe with its key', async () => {
    for (const spelling of [certificate.sha256, certificate.sha256.replace(/:/g, '').toLowerCase()]) {
      const result = await connector.probe(consoleSession({ certificateSha256: spelling }));
      expect(result.notes?.[0]).toContain(UNIFI_FAKE_VERSION);
    }
    expect(fake.count('GET', '/proxy/network/integration/v1/info')).toBe(2);
    expect(fake.requests[0]?.headers['x-api-key']).toBe(UNIFI_FAKE_CREDENTIALS.apiKey);
  });

  it('with a wrong pin: refused before any request byte, so the API key never arrives', async () => {
    const bytesBefore = front.applicationBytes;
    const error = await expectVendorError(
      connector.probe(consoleSession({ certificateSha256: otherFingerprint })),
      'blocked',
    );
    expect(error.vendorMessage).toContain('does not match the pinned SHA-256 fingerprint');
    const classified = classifyFailure(connector, error);
    expect(classified.state).toBe('needs_attention');
    expect(classified.hint).toContain('not the pinned one');
    expect(front.applicationBytes).toBe(bytesBefore);
    expect(fake.requests).toHaveLength(0);
  });

  it('a pin applies to its host only: another https host keeps full verification', async () => {
    // The pin names a host the front is not reached by (localhost vs 127.0.0.1), so the CA check runs.
    const policy = networkPolicyFromSettings(development, {
      certificatePins: [{ host: 'localhost', sha256: certificate.sha256 }],
    });
    const error = await guardedFetch(`${front.baseUrl}/proxy/network/integration/v1/info`, {
      method: 'GET',
      timeoutMs: 5000,
      policy,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).errorCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const plain = networkPolicyFromSettings(development);
    const unpinned = await guardedFetch(`${front.baseUrl}/`, { method: 'GET', timeoutMs: 5000, policy: plain }).catch(
      (e: unknown) => e,
    );
    expect(unpinned).toBeInstanceOf(OutboundRequestError);
    expect(fake.requests).toHaveLength(0);
  });

  it('the address rules still apply to a pinned host', async () => {
    const production = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'production' } as Settings, {
      certificatePins: [{ host: '127.0.0.1', sha256: certificate.sha256 }],
    });
    const error = await guardedFetch(`${front.baseUrl}/`, { method: 'GET', timeoutMs: 5000, policy: production }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundUrlBlockedError);
    expect((error as OutboundUrlBlockedError).reason).toBe('loopback');
  });
});

describe('certificateSha256 in the UniFi config', () => {
  it('is normalised to upper-case colon pairs and refused when malformed or over http', () => {
    const hex = 'ab'.repeat(32);
    const parsed = unifiConfigSchema.parse({
      mode: 'network',
      consoleUrl: 'https://192.168.1.1',
      certificateSha256: hex,
    });
    expect(parsed).toMatchObject({ certificateSha256: normalizeFingerprint(hex) });
    expect(normalizeFingerprint(hex)).toBe(Array(32).fill('AB').join(':'));
    expect(
      unifiConfigSchema.safeParse({ mode: 'network', consoleUrl: 'https://192.168.1.1', certificateSha256: 'abc' })
        .success,
    ).toBe(false);
    expect(
      unifiConfigSchema.safeParse({ mode: 'network', consoleUrl: 'http://192.168.1.1', certificateSha256: hex })
        .success,
    ).toBe(false);
    expect(unifiConfigSchema.safeParse({ mode: 'site-manager', certificateSha256: hex }).success).toBe(false);
  });
});
