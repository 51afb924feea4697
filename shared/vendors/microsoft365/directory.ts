import { randomBytes } from 'node:crypto';
import type { VendorRequest, VendorResponse } from '../contract';
import { badResponse, expectOk, isRecord, stringAt } from '../core/errors';
import { readCollection, readGraphMessage, sameGraphHost } from './api';
import { m365Endpoints } from './config';
import { graphCall, type M365Session } from './index';

/**
 * Microsoft Graph reads and lifecycle writes for tool calls (Graph v1.0 reference: users, groups,
 * mailboxSettings, subscribedSkus, licenseDetails, assignLicense). Lists page with
 * `@odata.nextLink` (followed only on the Graph host the session talks to) and stop after
 * GRAPH_MAX_PAGES pages of GRAPH_PAGE_SIZE (docs/tools.md). The writes change a customer's
 * tenant, so their tools always wait for an approval (shared/tools/catalog.ts).
 */
export const GRAPH_PAGE_SIZE = 100;
export const GRAPH_MAX_PAGES = 10;

export type GraphRecord = Record<string, unknown>;

function graphUrl(session: M365Session, path: string): string {
  return `${m365Endpoints(session.config).graphRoot}/v1.0/${path}`;
}

function request(
  session: M365Session,
  operation: string,
  method: VendorRequest['method'],
  url: string,
  json?: unknown,
): Promise<VendorResponse> {
  return graphCall(session, (token) => ({
    operation,
    method,
    url,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    ...(json !== undefined ? { json } : {}),
  }));
}

/** Reads a collection page by page until Graph has no nextLink or the page cap is reached. */
export async function listCollection(
  session: M365Session,
  operation: string,
  path: string,
): Promise<{ items: GraphRecord[]; capped: boolean }> {
  const items: GraphRecord[] = [];
  let url: string | undefined = graphUrl(session, path);
  for (let page = 0; url !== undefined && page < GRAPH_MAX_PAGES; page++) {
    const response = await request(session, operation, 'GET', url);
    expectOk('microsoft365', operation, response, readGraphMessage);
    const collection = readCollection(response.body);
    if (!collection) throw badResponse('microsoft365', operation, response, 'Graph answered without a value list');
    items.push(...collection.value.filter(isRecord));
    const next = collection.nextLink;
    url = next !== undefined && sameGraphHost(session.config, next) ? next : undefined;
  }
  return { items, capped: url !== undefined };
}

const seg = (user: string) => encodeURIComponent(user);

export function listUsers(session: M365Session) {
  return listCollection(
    session,
    'users.list',
    `users?$select=id,displayName,userPrincipalName,accountEnabled,mail&$top=${GRAPH_PAGE_SIZE}`,
  );
}

export function listGroups(session: M365Session) {
  return listCollection(
    session,
    'groups.list',
    `groups?$select=id,displayName,mail,groupTypes,securityEnabled,mailEnabled&$top=${GRAPH_PAGE_SIZE}`,
  );
}

/** `GET /v1.0/subscribedSkus`: the tenant's licences with how many are bought and assigned. */
export function listSubscribedSkus(session: M365Session) {
  return listCollection(session, 'skus.list', 'subscribedSkus');
}

/** `GET /v1.0/users/{id}/licenseDetails`: the licences assigned to one user. */
export function listLicenseDetails(session: M365Session, input: { user: string }) {
  return listCollection(session, 'user.licenses', `users/${seg(input.user)}/licenseDetails`);
}

export interface MailboxSettings {
  timeZone: string | null;
  language: string | null;
  automaticRepliesStatus: string | null;
  delegateMeetingMessageDeliveryOptions: string | null;
}

/** `GET /v1.0/users/{id}/mailboxSettings`: one mailbox's settings (out-of-office, time zone, language). */
export async function readMailboxSettings(session: M365Session, input: { user: string }): Promise<MailboxSettings> {
  const response = await request(
    session,
    'mailbox.settings',
    'GET',
    graphUrl(session, `users/${seg(input.user)}/mailboxSettings`),
  );
  expectOk('microsoft365', 'mailbox.settings', response, readGraphMessage);
  const body = response.body;
  return {
    timeZone: stringAt(body, 'timeZone') ?? null,
    language: stringAt(body, 'language', 'locale') ?? null,
    automaticRepliesStatus: stringAt(body, 'automaticRepliesSetting', 'status') ?? null,
    delegateMeetingMessageDeliveryOptions: stringAt(body, 'delegateMeetingMessageDeliveryOptions') ?? null,
  };
}

/** `PATCH /v1.0/users/{id} {accountEnabled: false}`: blocks sign-in (Graph answers 204). */
export async function blockSignIn(session: M365Session, input: { user: string }): Promise<void> {
  const response = await request(session, 'user.block', 'PATCH', graphUrl(session, `users/${seg(input.user)}`), {
    accountEnabled: false,
  });
  expectOk('microsoft365', 'user.block', response, readGraphMessage);
}

/**
 * `PATCH /v1.0/users/{id} {passwordProfile: {password, forceChangePasswordNextSignIn: true}}`: the
 * old password stops working. The new one is random, 32 characters over all four character classes
 * Entra ID asks for, and leaves this function only as the tool's secret (never stored, never shown
 * in a summary): the user regains access through self-service reset or an administrator.
 */
export async function resetPassword(session: M365Session, input: { user: string }): Promise<{ password: string }> {
  const password = randomPassword();
  const response = await request(
    session,
    'user.reset_password',
    'PATCH',
    graphUrl(session, `users/${seg(input.user)}`),
    {
      passwordProfile: { password, forceChangePasswordNextSignIn: true },
    },
  );
  expectOk('microsoft365', 'user.reset_password', response, readGraphMessage);
  return { password };
}

function randomPassword(): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%&*+-=?@^_'];
  const bytes = randomBytes(32);
  // The first four characters cover the four classes Entra ID's complexity rule counts; the rest
  // draw from any class. 32 random characters are far above its minimum of 8 (maximum 256).
  return [...bytes]
    .map((byte, i) => {
      const chars = classes[i < classes.length ? i : byte % classes.length]!;
      return chars[byte % chars.length]!;
    })
    .join('');
}

/**
 * `POST /v1.0/users/{id}/assignLicense {addLicenses: [{skuId, disabledPlans: []}], removeLicenses: []}`
 * (or the sku in `removeLicenses` to take it away). Graph needs the user's usageLocation set first.
 */
export async function changeLicense(
  session: M365Session,
  input: { user: string; skuId: string; change: 'assign' | 'remove' },
): Promise<void> {
  const operation = input.change === 'assign' ? 'user.license.assign' : 'user.license.remove';
  const response = await request(
    session,
    operation,
    'POST',
    graphUrl(session, `users/${seg(input.user)}/assignLicense`),
    {
      addLicenses: input.change === 'assign' ? [{ skuId: input.skuId, disabledPlans: [] }] : [],
      removeLicenses: input.change === 'remove' ? [input.skuId] : [],
    },
  );
  expectOk('microsoft365', operation, response, readGraphMessage);
}
