import type { VendorRequest } from '../contract';
import { badResponse, expectOk, isRecord, stringAt } from '../core/errors';
import { gdapRequest, readCollection, readGraphMessage, sameGraphHost } from './api';
import { m365Endpoints } from './config';
import { graphCall, type M365Session } from './index';

/**
 * What Graph really holds (docs/reconcile.md): the app's change-notification subscriptions
 * (`GET /v1.0/subscriptions`) and the partner's GDAP relationships with the customer tenant and
 * roles (`GET /v1.0/tenantRelationships/delegatedAdminRelationships`). Next-page links are
 * followed only on the configured Graph host, at most MAX_PAGES of them.
 */
const MAX_PAGES = 10;

export interface ListedSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  expirationDateTime: string;
}

export interface ListedGdapRelationship {
  id: string;
  displayName: string;
  status: string;
  endDateTime: string | undefined;
  customerTenantId: string | undefined;
  customerName: string | undefined;
  /** Entra role template ids granted (`accessDetails.unifiedRoles[].roleDefinitionId`). */
  roles: string[];
}

async function readPages(
  session: M365Session,
  operation: string,
  first: (token: string, link: string | undefined) => VendorRequest,
): Promise<{ items: unknown[]; truncated: boolean }> {
  const items: unknown[] = [];
  let link: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const current = link;
    const response = await graphCall(session, (token) => first(token, current));
    expectOk('microsoft365', operation, response, readGraphMessage);
    const collection = readCollection(response.body);
    if (!collection) throw badResponse('microsoft365', operation, response, 'Graph answered without a value list');
    items.push(...collection.value);
    if (collection.nextLink === undefined || !sameGraphHost(session.config, collection.nextLink)) {
      return { items, truncated: false };
    }
    link = collection.nextLink;
  }
  return { items, truncated: true };
}

export async function listGraphSubscriptions(
  session: M365Session,
): Promise<{ items: ListedSubscription[]; truncated: boolean }> {
  const read = await readPages(session, 'subscription.list', (token, link) => ({
    operation: 'subscription.list',
    method: 'GET',
    url: link ?? `${m365Endpoints(session.config).graphRoot}/v1.0/subscriptions`,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  const items: ListedSubscription[] = [];
  for (const row of read.items) {
    const id = stringAt(row, 'id');
    if (id === undefined) continue;
    items.push({
      id,
      resource: stringAt(row, 'resource') ?? '',
      changeType: stringAt(row, 'changeType') ?? '',
      notificationUrl: stringAt(row, 'notificationUrl') ?? '',
      expirationDateTime: stringAt(row, 'expirationDateTime') ?? '',
    });
  }
  return { items, truncated: read.truncated };
}

export function readGdapRelationship(row: unknown): ListedGdapRelationship | undefined {
  const id = stringAt(row, 'id');
  const status = stringAt(row, 'status');
  if (id === undefined || status === undefined) return undefined;
  const unified = isRecord(row) && isRecord(row.accessDetails) ? row.accessDetails.unifiedRoles : undefined;
  const roles = Array.isArray(unified)
    ? unified.map((role) => stringAt(role, 'roleDefinitionId')).filter((r): r is string => r !== undefined)
    : [];
  return {
    id,
    displayName: stringAt(row, 'displayName') ?? id,
    status,
    endDateTime: stringAt(row, 'endDateTime'),
    customerTenantId: stringAt(row, 'customer', 'tenantId')?.toLowerCase(),
    customerName: stringAt(row, 'customer', 'displayName'),
    roles,
  };
}

export async function listGdapRelationships(
  session: M365Session,
): Promise<{ items: ListedGdapRelationship[]; truncated: boolean }> {
  const read = await readPages(session, 'gdap', (token, link) => gdapRequest(session.config, token, link));
  const items = read.items.map(readGdapRelationship).filter((r): r is ListedGdapRelationship => r !== undefined);
  return { items, truncated: read.truncated };
}
