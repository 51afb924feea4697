import { type AutotaskSession, authHeaders, autotaskApiUrl, readAutotaskMessage, zoneUrl } from '../vendors/autotask';
import type { Connector, VendorRequest, VendorSession } from '../vendors/contract';
import { expectOk, numberAt, stringAt } from '../vendors/core/errors';
import { haloWebhookBody, readHaloMessage } from '../vendors/halopsa/api';
import { type HaloSession, haloBearerCall } from '../vendors/halopsa/auth';
import { haloBaseUrl } from '../vendors/halopsa/config';
import { readGraphMessage } from '../vendors/microsoft365/api';
import { m365Endpoints } from '../vendors/microsoft365/config';
import { graphCall, type M365Session } from '../vendors/microsoft365/index';

/**
 * The vendor requests that push a webhook registration (docs/design.md §6.1): create what the vendor needs
 * to send to our receive URL, delete it again, and (Graph) renew it. One function per call, each
 * one request through the integration's guarded HTTP port; a refusal throws the vendor's own error
 * (VendorError → 502 `vendor_error` with the vendor's status and message).
 */
export type OpenSession = {
  connector: Connector;
  session: VendorSession<unknown, unknown>;
};

const JSON_HEADERS = { Accept: 'application/json' };

// Autotask --------------------------------------------------------------------------------------

/** Autotask's TicketWebhook `Name` holds 50 characters; the hub's webhook names may be longer. */
export const AUTOTASK_WEBHOOK_NAME_MAX = 50;

/** At most AUTOTASK_WEBHOOK_NAME_MAX UTF-16 units (.NET's length), never half a surrogate pair. */
function truncateName(name: string): string {
  const cut = name.slice(0, AUTOTASK_WEBHOOK_NAME_MAX);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * `POST /V1.0/TicketWebhooks` → `{itemId}`, then one `POST /V1.0/TicketWebhooks/{id}/Fields` per
 * subscribed field (Autotask fires only for subscribed fields, so the caller must give some).
 * `deactivationUrl` is where Autotask reports that it turned the webhook off.
 */
export async function createAutotaskWebhook(
  session: AutotaskSession,
  input: { name: string; url: string; deactivationUrl: string; secret: string; fieldIds: number[] },
): Promise<{ vendorId: string; fieldIds: string[] }> {
  const zone = await zoneUrl(session);
  const headers = { ...authHeaders(session.credentials), ...JSON_HEADERS };
  const created = await session.http.request({
    operation: 'webhook.create',
    method: 'POST',
    url: autotaskApiUrl(zone.url, 'TicketWebhooks'),
    headers,
    json: {
      name: truncateName(input.name),
      webhookUrl: input.url,
      deactivationUrl: input.deactivationUrl,
      secretKey: input.secret,
      isActive: true,
      isSubscribedToCreateEvents: true,
      isSubscribedToUpdateEvents: true,
      isSubscribedToDeleteEvents: false,
      sendThresholdExceededNotification: false,
    },
  });
  expectOk('autotask', 'webhook.create', created, readAutotaskMessage);
  const id = numberAt(created.body, 'itemId');
  if (id === undefined) throw new Error('Autotask answered the webhook create without an itemId');
  const fieldIds: string[] = [];
  for (const fieldId of input.fieldIds) {
    const field = await session.http.request({
      operation: 'webhook.field',
      method: 'POST',
      url: autotaskApiUrl(zone.url, `TicketWebhooks/${id}/Fields`),
      headers,
      json: { webhookID: id, fieldID: fieldId, isSubscribedField: true, isDisplayAlwaysField: false },
    });
    expectOk('autotask', 'webhook.field', field, readAutotaskMessage);
    fieldIds.push(String(numberAt(field.body, 'itemId') ?? fieldId));
  }
  return { vendorId: String(id), fieldIds };
}

/** `DELETE /V1.0/TicketWebhooks/{id}` (its fields go with it). A 404 means it is gone already. */
export async function deleteAutotaskWebhook(session: AutotaskSession, vendorId: string): Promise<void> {
  const zone = await zoneUrl(session);
  const response = await session.http.request({
    operation: 'webhook.delete',
    method: 'DELETE',
    url: autotaskApiUrl(zone.url, `TicketWebhooks/${encodeURIComponent(vendorId)}`),
    headers: { ...authHeaders(session.credentials), ...JSON_HEADERS },
  });
  if (response.status !== 404) expectOk('autotask', 'webhook.delete', response, readAutotaskMessage);
}

// Halo PSA --------------------------------------------------------------------------------------

/** A Halo call with the integration's bearer token, by client credentials or the grant an admin
 * authorised in a browser, as the integration is configured (shared/vendors/halopsa/auth.ts). */
function haloRequest(session: HaloSession) {
  return async (build: (token: string) => VendorRequest) => (await haloBearerCall(session, build)).response;
}

/**
 * `POST /api/Webhook [ Webhook ]` (Halo writes are arrays) → the saved webhook with its `id` (a
 * uuid). The body holds only fields of Halo's `Webhook` schema (haloWebhookBody): Basic
 * authentication whose password is our webhook secret, which the receive path checks for
 * `halopsa` sources (docs/webhooks-receiving.md).
 */
export async function createHaloWebhook(
  session: HaloSession,
  input: { name: string; url: string; secret: string },
): Promise<{ vendorId: string }> {
  const response = await haloRequest(session)((token) => ({
    operation: 'webhook.create',
    method: 'POST',
    url: `${haloBaseUrl(session.config)}/api/Webhook`,
    headers: { Authorization: `Bearer ${token}`, ...JSON_HEADERS },
    json: [haloWebhookBody(input)],
  }));
  expectOk('halopsa', 'webhook.create', response, readHaloMessage);
  const saved = Array.isArray(response.body) ? response.body[0] : response.body;
  const id = numberAt(saved, 'id') ?? stringAt(saved, 'id');
  if (id === undefined) throw new Error('Halo answered the webhook create without an id');
  return { vendorId: String(id) };
}

/** `DELETE /api/Webhook/{id}`. A 404 means it is gone already. */
export async function deleteHaloWebhook(session: HaloSession, vendorId: string): Promise<void> {
  const response = await haloRequest(session)((token) => ({
    operation: 'webhook.delete',
    method: 'DELETE',
    url: `${haloBaseUrl(session.config)}/api/Webhook/${encodeURIComponent(vendorId)}`,
    headers: { Authorization: `Bearer ${token}`, ...JSON_HEADERS },
  }));
  if (response.status !== 404) expectOk('halopsa', 'webhook.delete', response, readHaloMessage);
}

// Microsoft Graph ------------------------------------------------------------------------------

/**
 * `POST /v1.0/subscriptions` with `notificationUrl` = our receive URL and `clientState` = the webhook
 * secret. Graph answers only after our receive URL has echoed its `validationToken` (the handshake),
 * so a 201 proves the URL works. → `{id, expirationDateTime}`.
 */
export async function createGraphSubscription(
  session: M365Session,
  input: { url: string; secret: string; resource: string; changeType: string; expiresAt: string },
): Promise<{ vendorId: string; expiresAt: string }> {
  const response = await graphCall(session, (token) => ({
    operation: 'subscription.create',
    method: 'POST',
    url: `${m365Endpoints(session.config).graphRoot}/v1.0/subscriptions`,
    headers: { Authorization: `Bearer ${token}`, ...JSON_HEADERS },
    json: {
      changeType: input.changeType,
      notificationUrl: input.url,
      // Lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed) come to the
      // same receive URL and carry the same clientState (shared/inbound/graph-lifecycle.ts).
      lifecycleNotificationUrl: input.url,
      resource: input.resource,
      expirationDateTime: input.expiresAt,
      clientState: input.secret,
    },
    // Graph waits up to 10 s for our handshake before it answers.
    timeoutMs: 30_000,
  }));
  expectOk('microsoft365', 'subscription.create', response, readGraphMessage);
  const id = stringAt(response.body, 'id');
  if (!id) throw new Error('Graph answered the subscription create without an id');
  return { vendorId: id, expiresAt: stringAt(response.body, 'expirationDateTime') ?? input.expiresAt };
}

/** `PATCH /v1.0/subscriptions/{id}` with a new `expirationDateTime` → the subscription. */
export async function renewGraphSubscription(
  session: M365Session,
  vendorId: string,
  expiresAt: string,
): Promise<{ expiresAt: string }> {
  const response = await graphCall(session, (token) => ({
    operation: 'subscription.renew',
    method: 'PATCH',
    url: `${m365Endpoints(session.config).graphRoot}/v1.0/subscriptions/${encodeURIComponent(vendorId)}`,
    headers: { Authorization: `Bearer ${token}`, ...JSON_HEADERS },
    json: { expirationDateTime: expiresAt },
  }));
  expectOk('microsoft365', 'subscription.renew', response, readGraphMessage);
  return { expiresAt: stringAt(response.body, 'expirationDateTime') ?? expiresAt };
}

/** `DELETE /v1.0/subscriptions/{id}` → 204. A 404 means it is gone (expired or deleted). */
export async function deleteGraphSubscription(session: M365Session, vendorId: string): Promise<void> {
  const response = await graphCall(session, (token) => ({
    operation: 'subscription.delete',
    method: 'DELETE',
    url: `${m365Endpoints(session.config).graphRoot}/v1.0/subscriptions/${encodeURIComponent(vendorId)}`,
    headers: { Authorization: `Bearer ${token}`, ...JSON_HEADERS },
  }));
  if (response.status !== 404) expectOk('microsoft365', 'subscription.delete', response, readGraphMessage);
}
