import { callWithBearer, requestToken } from '../client-credentials';
import type { Connector, ProbeSuccess, VendorRequest, VendorResponse, VendorSession } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, expectOk } from '../core/errors';
import { tokenCacheKey } from '../core/token-cache';
import { pax8ProbeRequest, pax8TokenRequest, readPax8Message, readTotalCompanies } from './api';
import { pax8Catalog } from './catalog';
import {
  type Pax8Config,
  type Pax8Credentials,
  pax8ConfigSchema,
  pax8CredentialsSchema,
  pax8Endpoints,
} from './config';

export type Pax8Session = VendorSession<Pax8Credentials, Pax8Config>;

function tokenKey(session: Pax8Session): string {
  const { tokenUrl, audience } = pax8Endpoints(session.config);
  return tokenCacheKey(session.integrationId, 'pax8-token', { credentials: session.credentials, tokenUrl, audience });
}

/** One Pax8 API call with the session's cached bearer token (the probe and the tool actions). */
export function pax8Call(session: Pax8Session, build: (token: string) => VendorRequest): Promise<VendorResponse> {
  return callWithBearer({
    http: session.http,
    cacheKey: tokenKey(session),
    fetchToken: () =>
      requestToken('pax8', session.http, pax8TokenRequest(session.credentials, session.config), readPax8Message),
    build,
  });
}

async function probe(session: Pax8Session): Promise<ProbeSuccess<Pax8Config>> {
  const response = await pax8Call(session, (token) => pax8ProbeRequest(session.config, token));
  expectOk('pax8', 'probe', response, readPax8Message);
  const companies = readTotalCompanies(response.body);
  if (companies === undefined) throw badResponse('pax8', 'probe', response, 'GET /companies answered without a page');
  return { notes: [`Pax8 lists ${companies} compan${companies === 1 ? 'y' : 'ies'} for this partner.`] };
}

export const connector: Connector<Pax8Credentials, Pax8Config> = {
  catalog: pax8Catalog,
  credentialsSchema: pax8CredentialsSchema,
  configSchema: pax8ConfigSchema,
  // Pax8's developer portal states 1000 calls per minute (not in docs/vendors.md; docs/decisions.md 15).
  rateLimit: { requests: 1000, windowSeconds: 60 },
  accountKey: (credentials) => `pax8|${credentials.clientId}`,
  destinations: (config) => {
    const { apiRoot, tokenUrl } = pax8Endpoints(config);
    return originsOf([apiRoot, tokenUrl]);
  },
  probe,
};
