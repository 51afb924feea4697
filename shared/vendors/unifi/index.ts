import type { Connector, ProbeSuccess, VendorSession } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, expectOk } from '../core/errors';
import { credentialDigest } from '../core/token-cache';
import { readApplicationVersion, readHostPage, readUnifiMessage, unifiProbeRequest } from './api';
import { unifiCatalog } from './catalog';
import {
  siteManagerRoot,
  type UnifiConfig,
  type UnifiCredentials,
  unifiCertificatePin,
  unifiConfigSchema,
  unifiCredentialsSchema,
} from './config';

export { unifiCertificatePin, unifiPrivateHost } from './config';

type UnifiSession = VendorSession<UnifiCredentials, UnifiConfig>;

async function probe(session: UnifiSession): Promise<ProbeSuccess<UnifiConfig>> {
  const request = unifiProbeRequest(session.credentials, session.config);
  const response = await session.http.request(request);
  expectOk('unifi', 'probe', response, readUnifiMessage);
  if (session.config.mode === 'site-manager') {
    const hosts = readHostPage(response.body);
    if (hosts === undefined) throw badResponse('unifi', 'probe', response, 'GET /v1/hosts answered without data');
    return {
      notes: [
        hosts.length > 0
          ? 'The Site Manager key sees at least one console.'
          : 'The Site Manager key sees no consoles yet.',
      ],
    };
  }
  const info = readApplicationVersion(response.body);
  if (info === undefined) throw badResponse('unifi', 'probe', response, 'GET /v1/info answered without an object');
  return { notes: [`UniFi Network ${info.version ?? '(version not reported)'} answered.`] };
}

export const connector: Connector<UnifiCredentials, UnifiConfig> = {
  catalog: unifiCatalog,
  credentialsSchema: unifiCredentialsSchema,
  configSchema: unifiConfigSchema,
  // Site Manager's early-access budget (100/min) is the strictest published figure; a console's
  // local API publishes none, and a small console should not be hammered either (docs/decisions.md 15).
  rateLimit: { requests: 100, windowSeconds: 60 },
  accountKey: (credentials, config) =>
    config.mode === 'network'
      ? `network|${new URL(config.consoleUrl).host}`
      : `site-manager|${credentialDigest(credentials.apiKey)}`,
  destinations: (config) => originsOf([config.mode === 'network' ? config.consoleUrl : siteManagerRoot(config)]),
  probe,
  certificatePin: unifiCertificatePin,
};
