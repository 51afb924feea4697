import { badResponse, expectOk, isRecord } from '../core/errors';
import { readCollection, readGraphMessage, sameGraphHost } from './api';
import { m365Endpoints } from './config';
import { graphCall, type M365Session } from './index';

/**
 * Paged reads of the partner's customer tenants and of the configured tenant's users for the sync
 * engine (docs/sync.md, "Microsoft 365"). Both page by `@odata.nextLink`, which is the engine's
 * cursor: a link is followed only on the Graph host the session talks to, so the bearer token
 * never goes where a response body points.
 */

/** Graph's maximum `$top` for users. */
export const GRAPH_MAX_USERS_TOP = 999;

export type M365Listing = 'customers' | 'users';

/** The user properties a contact needs (Graph returns a small default set without `$select`). */
const USER_SELECT =
  'id,displayName,givenName,surname,mail,userPrincipalName,accountEnabled,jobTitle,businessPhones,mobilePhone';

const OPERATION: Record<M365Listing, string> = { customers: 'sync.customers', users: 'sync.users' };

export interface M365Page {
  rows: Record<string, unknown>[];
  nextLink: string | undefined;
}

export function m365FirstPageUrl(session: M365Session, listing: M365Listing, size: number): string {
  const root = `${m365Endpoints(session.config).graphRoot}/v1.0`;
  if (listing === 'customers') return `${root}/tenantRelationships/delegatedAdminCustomers`;
  const top = Math.min(GRAPH_MAX_USERS_TOP, Math.max(1, Math.floor(size)));
  return `${root}/users?$select=${USER_SELECT}&$top=${top}`;
}

/** One page: the first (no link) or the one a previous page linked to. */
export async function listM365Page(
  session: M365Session,
  listing: M365Listing,
  size: number,
  link: string | undefined,
): Promise<M365Page> {
  const operation = OPERATION[listing];
  const url = link ?? m365FirstPageUrl(session, listing, size);
  const response = await graphCall(session, (token) => ({
    operation,
    method: 'GET',
    url,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  expectOk('microsoft365', operation, response, readGraphMessage);
  const collection = readCollection(response.body);
  if (!collection) throw badResponse('microsoft365', operation, response, 'Graph answered without a value list');
  const next = collection.nextLink;
  if (next !== undefined && !sameGraphHost(session.config, next)) {
    // Ending quietly would store half a list as if it were whole.
    throw badResponse('microsoft365', operation, response, 'Graph linked the next page to another host');
  }
  return { rows: collection.value.filter(isRecord), nextLink: next };
}
