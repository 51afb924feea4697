import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../apikeys/principal';
import { credentialCipher } from '../app/process-cipher';
import { recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { matchesSha256 } from '../crypto/constant-time';
import { DomainError, isDomainError } from '../errors/domain-error';
import { errorFields, logger } from '../observability/logger';
import { timeKey } from '../storage/keys';
import type { AutotaskSession } from '../vendors/autotask';
import type { HaloSession } from '../vendors/halopsa/index';
import type { M365Session } from '../vendors/microsoft365/index';
import { checkGraphSubscription } from '../vendors/microsoft365/subscriptions';
import { RENEWAL_PARTITION, renewalKey, WEBHOOK_ROW } from './graph-lifecycle';
import type { InboundTables, WebhookRecord } from './tables';
import {
  createAutotaskWebhook,
  createGraphSubscription,
  createHaloWebhook,
  deleteAutotaskWebhook,
  deleteGraphSubscription,
  deleteHaloWebhook,
  type OpenSession,
  renewGraphSubscription,
} from './vendor-push-requests';
import {
  PUSHABLE_VENDORS,
  type PushableVendor,
  readStoredRegistration,
  type VendorRegistration,
} from './vendor-registration';

/**
 * Pushing a webhook registration to its vendor (docs/design.md §6.1, docs/webhooks-receiving.md): through
 * the integration's connector session the hub creates, at the vendor, what sends to our receive URL
 * — an Autotask TicketWebhook (+ its fields), a Halo webhook, a Graph subscription — and records the
 * vendor's id on the registration as ours. Deleting the webhook deletes it at the vendor first; a
 * timer renews Graph subscriptions before their `expirationDateTime`.
 */
export type OpenSessionFn = (tenantId: string, integrationId: string, correlationId: string) => Promise<OpenSession>;

export interface PushDeps {
  tables: Pick<InboundTables, 'webhooks' | 'renewals'>;
  audit: Parameters<typeof recordAudit>[0];
  publicBaseUrl: string | undefined;
  openSession: OpenSessionFn;
}

export interface PushInput {
  /** Autotask: ticket field ids whose changes send update events (none: creates only). */
  fieldIds?: number[] | undefined;
  /** Graph: the resource to watch (default `users`) and the change types (default `updated`). */
  resource?: string | undefined;
  changeType?: string | undefined;
}

/** Graph subscriptions are created for, and renewed to, this long (within every resource's maximum). */
export const GRAPH_SUBSCRIPTION_LIFETIME_MS = 2 * 86_400_000;
/** A subscription expiring sooner than this is renewed by the next timer run (hourly). */
export const GRAPH_RENEW_BEFORE_MS = 12 * 3_600_000;
/** NCRONTAB, seconds first: hourly at minute 17. */
export const RENEWAL_SCHEDULE = '0 17 * * * *';

async function secretOf(record: WebhookRecord): Promise<string> {
  const value = (await credentialCipher().decryptJson(record.encryptedSecret)) as { secret?: unknown };
  if (typeof value.secret !== 'string') throw new Error('webhook secret token holds no secret');
  return value.secret;
}

function unsupported(detail: string): DomainError {
  return new DomainError('webhook_push_unsupported', detail);
}

/** Where Autotask reports a deactivation: our receive URL + `/deactivated/<token>` (see recordVendorDeactivation). */
export function deactivationUrl(receiveUrl: string, token: string): string {
  return `${receiveUrl}/deactivated/${token}`;
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

async function createAtVendor(
  vendor: PushableVendor,
  open: OpenSession,
  input: PushInput,
  target: { name: string; url: string; secret: string },
): Promise<Omit<VendorRegistration, 'pushedAt'>> {
  switch (vendor) {
    case 'autotask': {
      // Autotask fires a TicketWebhook only for its subscribed fields: one without fields is dead.
      if (!input.fieldIds || input.fieldIds.length === 0) {
        throw new DomainError(
          'validation_failed',
          'An Autotask TicketWebhook sends events only for subscribed fields: give fieldIds (the fieldID picklist of TicketWebhookFields in your Autotask database).',
          { field: 'fieldIds' },
        );
      }
      const token = randomBytes(32).toString('base64url');
      const made = await createAutotaskWebhook(open.session as AutotaskSession, {
        ...target,
        deactivationUrl: deactivationUrl(target.url, token),
        fieldIds: input.fieldIds,
      });
      return { vendor, vendorId: made.vendorId, fieldIds: made.fieldIds, deactivationTokenSha256: sha256Hex(token) };
    }
    case 'halopsa': {
      const made = await createHaloWebhook(open.session as HaloSession, target);
      return { vendor, vendorId: made.vendorId };
    }
    case 'microsoft365': {
      const resource = input.resource ?? 'users';
      const changeType = input.changeType ?? 'updated';
      const check = checkGraphSubscription(resource, changeType);
      if (!check.ok) throw new DomainError('validation_failed', check.message, { field: check.field });
      const made = await createGraphSubscription(open.session as M365Session, {
        url: target.url,
        secret: target.secret,
        resource,
        changeType,
        expiresAt: new Date(nowMs() + GRAPH_SUBSCRIPTION_LIFETIME_MS).toISOString(),
      });
      return { vendor, vendorId: made.vendorId, resource, changeType, expiresAt: made.expiresAt };
    }
  }
}

async function deleteAtVendor(open: OpenSession, registration: VendorRegistration): Promise<void> {
  switch (registration.vendor) {
    case 'autotask':
      return deleteAutotaskWebhook(open.session as AutotaskSession, registration.vendorId);
    case 'halopsa':
      return deleteHaloWebhook(open.session as HaloSession, registration.vendorId);
    case 'microsoft365':
      return deleteGraphSubscription(open.session as M365Session, registration.vendorId);
  }
}

/**
 * `POST /api/v1/webhooks/{id}/push`. The vendor call comes first and the record second; two pushes
 * racing both create at the vendor, and the one whose conditional record write loses deletes its
 * own creation again (409 `webhook_already_pushed`).
 */
export async function pushWebhook(
  deps: PushDeps,
  caller: Principal,
  id: string,
  input: PushInput,
  correlationId: string,
): Promise<VendorRegistration> {
  const row = /^wh_[A-Za-z0-9_-]{24}$/.test(id) ? await deps.tables.webhooks.get(id, WEBHOOK_ROW) : undefined;
  if (!row || row.value.tenantId !== caller.tenantId) {
    throw new DomainError('not_found', `No webhook with id "${id}" exists.`, { resource: 'webhook', id });
  }
  const record = row.value;
  const vendor = PUSHABLE_VENDORS.find((v) => v === record.source);
  if (!vendor || !record.integrationId) {
    throw unsupported(
      `Webhooks of source "${record.source}" cannot be pushed: the hub pushes registrations to Autotask, Halo PSA and Microsoft 365 integrations. Configure the sender with the webhook URL and secret instead.`,
    );
  }
  if (record.status !== 'active') throw unsupported('The webhook is disabled; enable it before pushing it.');
  if (!deps.publicBaseUrl) {
    throw unsupported('PUBLIC_BASE_URL is not set, so the vendor would get no absolute URL to send to.');
  }
  const existing = readStoredRegistration(record);
  if (existing) {
    throw new DomainError('webhook_already_pushed', `The webhook is already registered at ${vendor}.`, {
      vendorId: existing.vendorId,
    });
  }
  const open = await deps.openSession(caller.tenantId, record.integrationId, correlationId);
  const url = `${deps.publicBaseUrl}/api/hooks/${id}`;
  const created = await createAtVendor(vendor, open, input, { name: record.name, url, secret: await secretOf(record) });
  const registration: VendorRegistration = { ...created, pushedAt: new Date(nowMs()).toISOString() };

  let lost = false;
  const stored = await deps.tables.webhooks.update(id, WEBHOOK_ROW, (current) => {
    if (!current) return undefined;
    if (current.vendorRegistration) {
      lost = true;
      return undefined;
    }
    return {
      ...current,
      vendorRegistration: JSON.stringify(registration),
      updatedAt: registration.pushedAt,
    };
  });
  if (lost || !stored?.value.vendorRegistration) {
    // Another push (or a delete) won: what we just created at the vendor is not ours to keep.
    await deleteAtVendor(open, registration).catch((error: unknown) =>
      logger.warn('could not remove a losing push at the vendor', { webhookId: id, vendor, ...errorFields(error) }),
    );
    throw new DomainError('webhook_already_pushed', `The webhook is already registered at ${vendor}.`);
  }
  if (registration.expiresAt) {
    await deps.tables.renewals.upsert(RENEWAL_PARTITION, renewalKey(registration.expiresAt, id), {
      tenantId: caller.tenantId,
      webhookId: id,
    });
  }
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'webhook.pushed',
    actorKeyId: caller.keyId,
    targetType: 'webhook',
    targetId: id,
    correlationId,
    details: { vendor, vendorId: registration.vendorId },
  });
  return registration;
}

/**
 * Before a webhook row is deleted: remove what we created at the vendor. An integration that no
 * longer exists cannot be reached, so there is nothing left to do there; any other failure stops
 * the delete (the admin retries rather than leaving a vendor sending to a dead URL).
 */
export async function unpushWebhook(
  deps: Pick<PushDeps, 'openSession' | 'tables'>,
  record: WebhookRecord,
  webhookId: string,
  correlationId: string,
): Promise<void> {
  const registration = readStoredRegistration(record);
  if (!registration || !record.integrationId) return;
  let open: OpenSession;
  try {
    open = await deps.openSession(record.tenantId, record.integrationId, correlationId);
  } catch (error) {
    if (isDomainError(error) && error.code === 'not_found') return;
    throw error;
  }
  await deleteAtVendor(open, registration);
  if (registration.expiresAt) {
    await deps.tables.renewals.delete(RENEWAL_PARTITION, renewalKey(registration.expiresAt, webhookId));
  }
}

/**
 * `POST /api/hooks/{id}/deactivated/{token}`: Autotask reports that it turned a TicketWebhook off
 * (`Action: "Deactivated"`, unsigned). The token in the URL, given only to Autotask at push time
 * and kept as a hash, is what authenticates it (compared in constant time); anything else is the
 * same 404 as an unknown webhook, and changes nothing. The registration stays (the vendor id is
 * still ours to delete) but shows `active: false` and `deactivatedAt`; pushing again needs a
 * delete first. Answers whether this call flagged it (false: already flagged).
 */
export async function recordVendorDeactivation(
  deps: { tables: Pick<InboundTables, 'webhooks'>; audit: Parameters<typeof recordAudit>[0] },
  webhookId: string,
  token: string,
  correlationId: string,
): Promise<{ flagged: boolean }> {
  const notFound = () =>
    new DomainError('webhook_not_found', `No active webhook with id "${webhookId}" exists.`, { webhookId });
  if (!/^wh_[A-Za-z0-9_-]{24}$/.test(webhookId) || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw notFound();
  const row = await deps.tables.webhooks.get(webhookId, WEBHOOK_ROW);
  const registration = row ? readStoredRegistration(row.value) : undefined;
  const expected = registration?.deactivationTokenSha256;
  if (!row || !registration || expected === undefined || !matchesSha256(token, expected)) throw notFound();
  if (registration.deactivatedAt) return { flagged: false };
  const at = new Date(nowMs()).toISOString();
  let flagged = false;
  await deps.tables.webhooks.update(webhookId, WEBHOOK_ROW, (current) => {
    const now = current ? readStoredRegistration(current) : undefined;
    if (!current || !now || now.vendorId !== registration.vendorId || now.deactivatedAt) return undefined;
    flagged = true;
    return { ...current, vendorRegistration: JSON.stringify({ ...now, deactivatedAt: at }), updatedAt: at };
  });
  if (flagged) {
    logger.warn('vendor deactivated a pushed webhook', {
      tenantId: row.value.tenantId,
      webhookId,
      vendor: registration.vendor,
    });
    await recordAudit(deps.audit, row.value.tenantId, {
      action: 'webhook.vendor_deactivated',
      actorKeyId: 'vendor',
      targetType: 'webhook',
      targetId: webhookId,
      correlationId,
      details: { vendor: registration.vendor, vendorId: registration.vendorId },
    });
  }
  return { flagged };
}

export interface RenewalResult {
  renewed: number;
  /** Subscriptions the vendor no longer had (404): the registration was cleared. */
  lapsed: number;
  failed: number;
}

/**
 * The renewal timer: every Graph subscription expiring within GRAPH_RENEW_BEFORE_MS is extended,
 * and what a lifecycle notification asked for (graph-lifecycle.ts) is done: a subscription Graph
 * wants reauthorized is renewed, one Graph removed is created again (needs PUBLIC_BASE_URL).
 */
export async function renewVendorRegistrations(
  deps: Pick<PushDeps, 'openSession' | 'tables'> & { publicBaseUrl?: string | undefined },
  options: { limit?: number } = {},
): Promise<RenewalResult> {
  const result: RenewalResult = { renewed: 0, lapsed: 0, failed: 0 };
  const due = deps.tables.renewals.iterate(RENEWAL_PARTITION, { rowKeyTo: timeKey(nowMs() + GRAPH_RENEW_BEFORE_MS) });
  let seen = 0;
  for await (const row of due) {
    if (++seen > (options.limit ?? 500)) break;
    const { tenantId, webhookId } = row.value;
    try {
      const hook = await deps.tables.webhooks.get(webhookId, WEBHOOK_ROW);
      const registration = hook ? readStoredRegistration(hook.value) : undefined;
      // A row left behind by a delete or an earlier renewal: nothing to renew under it.
      const keys = [registration?.expiresAt, registration?.actionDueAt].map((at) => at && renewalKey(at, webhookId));
      if (!hook || !registration?.expiresAt || !keys.includes(row.rowKey)) {
        await deps.tables.renewals.delete(RENEWAL_PARTITION, row.rowKey);
        continue;
      }
      const open = await deps.openSession(tenantId, hook.value.integrationId ?? '', `renew-${webhookId}`);
      const wanted = new Date(nowMs() + GRAPH_SUBSCRIPTION_LIFETIME_MS).toISOString();
      const { actionDueAt: _done, removedAt: _removed, ...settled } = registration;
      let next: VendorRegistration | undefined;
      if (registration.removedAt) {
        // Graph removed it (subscriptionRemoved): the same webhook gets a new subscription.
        if (!deps.publicBaseUrl)
          throw new Error('PUBLIC_BASE_URL is not set: a removed subscription cannot be re-created');
        const made = await createAtVendor(
          'microsoft365',
          open,
          { resource: registration.resource, changeType: registration.changeType },
          {
            name: hook.value.name,
            url: `${deps.publicBaseUrl}/api/hooks/${webhookId}`,
            secret: await secretOf(hook.value),
          },
        );
        next = { ...settled, ...made, renewedAt: new Date(nowMs()).toISOString() };
      } else {
        try {
          const renewed = await renewGraphSubscription(open.session as M365Session, registration.vendorId, wanted);
          next = { ...settled, expiresAt: renewed.expiresAt, renewedAt: new Date(nowMs()).toISOString() };
        } catch (error) {
          if (!(isDomainError(error) && error.details?.['vendorStatus'] === 404)) throw error;
        }
      }
      await deps.tables.webhooks.update(webhookId, WEBHOOK_ROW, (current) => {
        if (!current) return undefined;
        const { vendorRegistration: _gone, ...rest } = current;
        const at = new Date(nowMs()).toISOString();
        return next
          ? { ...current, vendorRegistration: JSON.stringify(next), updatedAt: at }
          : { ...rest, updatedAt: at };
      });
      if (next?.expiresAt) {
        await deps.tables.renewals.upsert(RENEWAL_PARTITION, renewalKey(next.expiresAt, webhookId), {
          tenantId,
          webhookId,
        });
        result.renewed++;
      } else {
        // Graph dropped it (it lapsed): the webhook is no longer pushed; pushing again re-creates it.
        logger.warn('Graph subscription lapsed before renewal; registration cleared', { tenantId, webhookId });
        result.lapsed++;
      }
      await deps.tables.renewals.delete(RENEWAL_PARTITION, row.rowKey);
    } catch (error) {
      // Left in place: the next run tries again (still before expiry, as the window is 12 runs wide).
      result.failed++;
      logger.warn('vendor registration renewal failed', { tenantId, webhookId, ...errorFields(error) });
    }
  }
  return result;
}
