import type { Principal } from '../apikeys/principal';
import { recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { type PushDeps, type PushInput, pushWebhook, unpushWebhook } from './vendor-push';
import { readStoredRegistration, type VendorRegistration } from './vendor-registration';

/**
 * The inbound side of reconciling with a vendor (docs/reconcile.md): which registrations the hub
 * pushed for an integration (the hub's record of what it created), and the two repairs the
 * reconcile capability may ask for — forget one (deleting it at the vendor first when it is still
 * there) and push one again. Both act only on a vendor id the webhook row records as pushed by the
 * hub, so nothing else at the vendor can be touched through them.
 */
const WEBHOOK_ROW = 'webhook';

/** Pushing deps plus the per-tenant webhook list, to find an integration's pushed registrations. */
export type ReconcileWebhookDeps = PushDeps & { tenantWebhooks: TenantWebhookList };

export interface PushedRegistration {
  webhookId: string;
  name: string;
  /** Where the vendor should send, when PUBLIC_BASE_URL is set. */
  receiveUrl: string | undefined;
  registration: VendorRegistration;
}

export async function pushedRegistrations(
  deps: Pick<ReconcileWebhookDeps, 'tables' | 'publicBaseUrl' | 'tenantWebhooks'>,
  tenantId: string,
  integrationId: string,
): Promise<PushedRegistration[]> {
  const out: PushedRegistration[] = [];
  for await (const entry of deps.tenantWebhooks.iterate(tenantId)) {
    const row = await deps.tables.webhooks.get(entry.rowKey, WEBHOOK_ROW);
    if (!row || row.value.tenantId !== tenantId || row.value.integrationId !== integrationId) continue;
    const registration = readStoredRegistration(row.value);
    if (!registration) continue;
    out.push({
      webhookId: entry.rowKey,
      name: row.value.name,
      receiveUrl: deps.publicBaseUrl ? `${deps.publicBaseUrl}/api/hooks/${entry.rowKey}` : undefined,
      registration,
    });
  }
  return out;
}

/** The per-tenant webhook list, as the inbound deps hold it. */
export interface TenantWebhookList {
  iterate(tenantId: string): AsyncIterable<{ rowKey: string }>;
}

/**
 * Drops the registration recorded under `vendorId` from the webhook. With `atVendor` the vendor's
 * copy is deleted first (by that recorded id, nothing else); a 404 there counts as gone. A row
 * whose registration changed meanwhile is left as it is.
 */
export async function forgetRegistration(
  deps: Pick<PushDeps, 'tables' | 'openSession' | 'audit'>,
  caller: Principal,
  webhookId: string,
  vendorId: string,
  options: { atVendor: boolean; correlationId: string },
): Promise<boolean> {
  const row = await deps.tables.webhooks.get(webhookId, WEBHOOK_ROW);
  const registration = row ? readStoredRegistration(row.value) : undefined;
  if (!row || row.value.tenantId !== caller.tenantId || registration?.vendorId !== vendorId) return false;
  if (options.atVendor) await unpushWebhook(deps, row.value, webhookId, options.correlationId);
  let cleared = false;
  await deps.tables.webhooks.update(webhookId, WEBHOOK_ROW, (current) => {
    if (!current || readStoredRegistration(current)?.vendorId !== vendorId) return undefined;
    const { vendorRegistration: _dropped, ...rest } = current;
    cleared = true;
    return { ...rest, updatedAt: new Date(nowMs()).toISOString() };
  });
  if (cleared) {
    await recordAudit(deps.audit, caller.tenantId, {
      action: 'webhook.registration_forgotten',
      actorKeyId: caller.keyId,
      targetType: 'webhook',
      targetId: webhookId,
      correlationId: options.correlationId,
      details: { vendor: registration.vendor, vendorId, deletedAtVendor: options.atVendor },
    });
  }
  return cleared;
}

/**
 * Pushes a webhook again after its registration was forgotten: the same resource and change type
 * for Graph; Autotask needs its subscribed field ids again (the row keeps only the field rows' ids).
 */
export function repushWebhook(
  deps: PushDeps,
  caller: Principal,
  webhookId: string,
  previous: VendorRegistration,
  fieldIds: number[] | undefined,
  correlationId: string,
): Promise<VendorRegistration> {
  const input: PushInput = { fieldIds, resource: previous.resource, changeType: previous.changeType };
  return pushWebhook(deps, caller, webhookId, input, correlationId);
}
