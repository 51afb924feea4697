import { nowMs } from '../../clock';
import { callWithBearer, requestToken } from '../client-credentials';
import type { Connector, ExpiryWarning, ProbeSuccess, VendorRequest, VendorResponse, VendorSession } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, expectOk, stringAt } from '../core/errors';
import { tokenCacheKey } from '../core/token-cache';
import {
  entraTokenErrorKind,
  type GdapRelationship,
  gdapExpiries,
  gdapRequest,
  m365TokenRequest,
  organizationRequest,
  readCollection,
  readGraphMessage,
  readRelationship,
  sameGraphHost,
} from './api';
import { graphPermissionFor, m365Catalog } from './catalog';
import {
  graphScope,
  type M365Config,
  type M365Credentials,
  m365ConfigSchema,
  m365CredentialsSchema,
  m365Endpoints,
} from './config';

export type M365Session = VendorSession<M365Credentials, M365Config>;

/** A probe reads at most this many GDAP pages (Graph pages are 100-300 items): enough for any partner we know. */
const MAX_GDAP_PAGES = 10;

function tokenKey(session: M365Session): string {
  return tokenCacheKey(session.integrationId, 'microsoft365-token', {
    credentials: session.credentials,
    tokenUrl: m365Endpoints(session.config).tokenUrl,
    scope: graphScope(session.config),
  });
}

export function graphCall(session: M365Session, build: (token: string) => VendorRequest): Promise<VendorResponse> {
  return callWithBearer({
    http: session.http,
    cacheKey: tokenKey(session),
    fetchToken: () =>
      requestToken(
        'microsoft365',
        session.http,
        m365TokenRequest(session.credentials, session.config),
        readGraphMessage,
        entraTokenErrorKind,
      ),
    build,
  });
}

async function readGdap(session: M365Session): Promise<GdapRelationship[]> {
  const relationships: GdapRelationship[] = [];
  let nextLink: string | undefined;
  for (let page = 0; page < MAX_GDAP_PAGES; page++) {
    const link = nextLink;
    const response = await graphCall(session, (token) => gdapRequest(session.config, token, link));
    expectOk('microsoft365', 'gdap', response, readGraphMessage);
    const collection = readCollection(response.body);
    if (!collection)
      throw badResponse('microsoft365', 'gdap', response, 'GDAP relationships answered without a value list');
    for (const item of collection.value) {
      const relationship = readRelationship(item);
      if (relationship) relationships.push(relationship);
    }
    if (collection.nextLink === undefined || !sameGraphHost(session.config, collection.nextLink)) break;
    nextLink = collection.nextLink;
  }
  return relationships;
}

async function probe(session: M365Session): Promise<ProbeSuccess<M365Config>> {
  const response = await graphCall(session, (token) => organizationRequest(session.config, token));
  expectOk('microsoft365', 'probe', response, readGraphMessage);
  const organizations = readCollection(response.body);
  if (!organizations)
    throw badResponse('microsoft365', 'probe', response, 'GET /v1.0/organization answered without a value list');
  const name = organizations.value.length > 0 ? stringAt(organizations.value[0], 'displayName') : undefined;
  const notes = [name ? `Signed in to the tenant "${name}".` : 'Signed in to the tenant.'];
  if (!session.config.checkGdap) return { notes };

  const relationships = await readGdap(session);
  const expiries: ExpiryWarning[] = gdapExpiries(relationships, nowMs());
  const expiring = relationships.filter((r) => r.status === 'expiring').length;
  notes.push(`${relationships.length} GDAP relationship${relationships.length === 1 ? '' : 's'} read.`);
  if (expiring > 0) notes.push(`${expiring} GDAP relationship${expiring === 1 ? ' is' : 's are'} expiring.`);
  return expiries.length > 0 ? { notes, expiries } : { notes };
}

export const connector: Connector<M365Credentials, M365Config> = {
  catalog: m365Catalog,
  permissionFor: graphPermissionFor,
  credentialsSchema: m365CredentialsSchema,
  configSchema: m365ConfigSchema,
  // Graph throttles per app and tenant with varying service limits and always answers 429 with
  // Retry-After; this budget keeps one integration well below them (docs/decisions.md 15).
  rateLimit: { requests: 600, windowSeconds: 60 },
  accountKey: (credentials, config) => `${config.tenantId.toLowerCase()}|${credentials.clientId}`,
  // The token endpoint (client secret) and Graph (bearer token); the tenant id is a path segment.
  destinations: (config) => {
    const { tokenUrl, graphRoot } = m365Endpoints(config);
    return originsOf([tokenUrl, graphRoot]);
  },
  probe,
};
