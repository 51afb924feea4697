import { callWithBearer, requestToken } from '../client-credentials';
import type { Connector, ProbeSuccess, VendorSession } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, expectOk } from '../core/errors';
import { tokenCacheKey } from '../core/token-cache';
import { haloProbeRequest, haloTokenRequest, readClientCount, readHaloMessage } from './api';
import { haloCatalog } from './catalog';
import { type HaloConfig, type HaloCredentials, haloBaseUrl, haloConfigSchema, haloCredentialsSchema } from './config';

export type HaloSession = VendorSession<HaloCredentials, HaloConfig>;

/** The token depends on the instance and the scope as much as on the credentials. */
export function tokenKey(session: HaloSession): string {
  return tokenCacheKey(session.integrationId, 'halopsa-token', {
    credentials: session.credentials,
    instance: haloBaseUrl(session.config),
    scope: session.config.scope,
  });
}

async function probe(session: HaloSession): Promise<ProbeSuccess<HaloConfig>> {
  const response = await callWithBearer({
    http: session.http,
    cacheKey: tokenKey(session),
    fetchToken: () =>
      requestToken('halopsa', session.http, haloTokenRequest(session.credentials, session.config), readHaloMessage),
    build: (token) => haloProbeRequest(session.config, token),
  });
  expectOk('halopsa', 'probe', response, readHaloMessage);
  const clients = readClientCount(response.body);
  if (clients === undefined)
    throw badResponse('halopsa', 'probe', response, 'GET /api/Client answered without a client list');
  return { notes: [`Halo answered with ${clients} client${clients === 1 ? '' : 's'} visible to this application.`] };
}

export const connector: Connector<HaloCredentials, HaloConfig> = {
  catalog: haloCatalog,
  credentialsSchema: haloCredentialsSchema,
  configSchema: haloConfigSchema,
  // Halo publishes no per-account figure in docs/vendors.md; this is a conservative budget (docs/decisions.md §15).
  rateLimit: { requests: 700, windowSeconds: 300 },
  accountKey: (credentials, config) => `${haloBaseUrl(config)}|${credentials.clientId}`,
  destinations: (config) => originsOf([haloBaseUrl(config)]),
  probe,
};
