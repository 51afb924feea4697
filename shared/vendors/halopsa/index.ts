import type { Connector, ProbeSuccess } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, expectOk } from '../core/errors';
import { haloProbeRequest, readClientCount, readHaloMessage } from './api';
import { type HaloSession, haloBearerCall } from './auth';
import { haloCatalog } from './catalog';
import { type HaloConfig, type HaloCredentials, haloBaseUrl, haloConfigSchema, haloCredentialsSchema } from './config';
import { missingHaloScopes } from './oauth-requests';

export { type HaloSession, tokenKey } from './auth';

async function probe(session: HaloSession): Promise<ProbeSuccess<HaloConfig>> {
  const { response, scope } = await haloBearerCall(session, (token) => haloProbeRequest(session.config, token));
  expectOk('halopsa', 'probe', response, readHaloMessage);
  const clients = readClientCount(response.body);
  if (clients === undefined)
    throw badResponse('halopsa', 'probe', response, 'GET /api/Client answered without a client list');
  const notes = [`Halo answered with ${clients} client${clients === 1 ? '' : 's'} visible to this application.`];
  // Only an authorised grant says what it was given; a client-credentials token is checked by use.
  const missingScopes = scope === undefined ? [] : missingHaloScopes(scope);
  return { notes, ...(missingScopes.length > 0 ? { missingScopes } : {}) };
}

export const connector: Connector<HaloCredentials, HaloConfig> = {
  catalog: haloCatalog,
  credentialsSchema: haloCredentialsSchema,
  configSchema: haloConfigSchema,
  // Halo publishes no per-account figure in docs/vendors.md; this is a conservative budget (docs/decisions.md §15).
  rateLimit: { requests: 700, windowSeconds: 300 },
  // An instance whose admin raised its API limit says so in its config (requestsPer5Minutes).
  rateLimitFor: (config) => ({ requests: config.requestsPer5Minutes, windowSeconds: 300 }),
  accountKey: (credentials, config) => `${haloBaseUrl(config)}|${credentials.clientId}`,
  destinations: (config) => originsOf([haloBaseUrl(config)]),
  probe,
};
