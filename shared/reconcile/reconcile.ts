import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock';
import { DomainError, isDomainError } from '../errors/domain-error';
import {
  forgetRegistration,
  type PushedRegistration,
  pushedRegistrations,
  type ReconcileWebhookDeps,
  repushWebhook,
} from '../inbound/vendor-reconcile';
import type { IntegrationView } from '../integrations/integrations';
import type { AutotaskSession } from '../vendors/autotask';
import { listAutotaskTicketWebhooks } from '../vendors/autotask/webhook-listing';
import type { VendorSession } from '../vendors/contract';
import type { HaloSession } from '../vendors/halopsa/index';
import { listHaloWebhooks } from '../vendors/halopsa/webhook-listing';
import type { M365Session } from '../vendors/microsoft365/index';
import {
  type ListedGdapRelationship,
  listGdapRelationships,
  listGraphSubscriptions,
} from '../vendors/microsoft365/listing';
import {
  classify,
  type ListedResource,
  type ReconcileClass,
  type ReconcileItem,
  type RecordedResource,
  summarise,
} from './classify';

/**
 * Reconcile an integration with its vendor (docs/reconcile.md): read what the hub recorded
 * (registrations it pushed; for a Microsoft 365 partner, its customer integrations) and what the
 * vendor lists, and classify each. Reading changes nothing anywhere.
 */
export const RECONCILABLE_VENDORS = ['autotask', 'halopsa', 'microsoft365'] as const;

export interface ReconcileDeps {
  webhooks: ReconcileWebhookDeps;
  integration(caller: Principal, id: string): Promise<IntegrationView>;
  /** Every integration of the tenant (for the GDAP side: which customers the hub has integrations for). */
  integrations(caller: Principal): AsyncIterable<IntegrationView>;
  openSession(
    tenantId: string,
    integrationId: string,
    correlationId: string,
  ): Promise<{ session: VendorSession<unknown, unknown> }>;
}

export interface ReconcileReport {
  integrationId: string;
  vendor: string;
  checkedAt: string;
  summary: Record<ReconcileClass, number>;
  items: ReconcileItem[];
  notes: string[];
}

const LIVE_GDAP = new Set(['active', 'expiring']);

function recordedWebhooks(pushed: PushedRegistration[]): RecordedResource[] {
  return pushed.map(({ webhookId, name, receiveUrl, registration }) => {
    // Without PUBLIC_BASE_URL the hub does not know the URL it gave out, so it is not compared.
    const url = (field: string): Record<string, string> => (receiveUrl === undefined ? {} : { [field]: receiveUrl });
    switch (registration.vendor) {
      case 'autotask':
        return {
          kind: 'autotask.ticketWebhook',
          key: registration.vendorId,
          vendorId: registration.vendorId,
          label: name,
          createdByHub: true,
          webhookId,
          expected: { ...url('webhookUrl'), isActive: true },
        };
      case 'halopsa':
        return {
          kind: 'halopsa.webhook',
          key: registration.vendorId,
          vendorId: registration.vendorId,
          label: name,
          createdByHub: true,
          webhookId,
          expected: { ...url('url'), active: true },
        };
      // microsoft365, the last of PUSHABLE_VENDORS
      default:
        return {
          kind: 'microsoft365.subscription',
          key: registration.vendorId,
          vendorId: registration.vendorId,
          label: name,
          createdByHub: true,
          webhookId,
          expected: {
            ...url('notificationUrl'),
            ...(registration.resource !== undefined ? { resource: registration.resource } : {}),
            ...(registration.changeType !== undefined ? { changeType: registration.changeType } : {}),
          },
        };
    }
  });
}

/** One relationship per customer, live ones first: a customer's newest grant is what counts. */
function gdapListed(relationships: ListedGdapRelationship[]): ListedResource[] {
  const ordered = [...relationships].sort(
    (a, b) =>
      Number(LIVE_GDAP.has(b.status)) - Number(LIVE_GDAP.has(a.status)) ||
      (b.endDateTime ?? '').localeCompare(a.endDateTime ?? ''),
  );
  return ordered
    .filter((r) => r.customerTenantId !== undefined)
    .map((r) => ({
      kind: 'microsoft365.gdapRelationship' as const,
      key: r.customerTenantId as string,
      vendorId: r.id,
      label: `${r.displayName}${r.customerName ? ` (${r.customerName})` : ''}`,
      // `expiring` still grants access; the probe warns about it (docs/integrations.md).
      actual: { status: LIVE_GDAP.has(r.status) ? 'active' : r.status },
    }));
}

async function gdapRecorded(
  deps: ReconcileDeps,
  caller: Principal,
  partner: IntegrationView,
): Promise<RecordedResource[]> {
  const partnerTenant = String(partner.config.tenantId ?? '').toLowerCase();
  const out: RecordedResource[] = [];
  for await (const other of deps.integrations(caller)) {
    if (other.vendor !== 'microsoft365' || other.id === partner.id) continue;
    const customer = typeof other.config.tenantId === 'string' ? other.config.tenantId.toLowerCase() : '';
    if (customer === '' || customer === partnerTenant) continue;
    out.push({
      kind: 'microsoft365.gdapRelationship',
      key: customer,
      vendorId: customer,
      label: `GDAP access for integration "${other.name}"`,
      // The customer grants GDAP; the hub never creates or removes a relationship.
      createdByHub: false,
      integrationId: other.id,
      expected: { status: 'active' },
    });
  }
  return out;
}

export async function reconcileIntegration(
  deps: ReconcileDeps,
  caller: Principal,
  integrationId: string,
  correlationId: string,
): Promise<ReconcileReport> {
  const integration = await deps.integration(caller, integrationId);
  const vendor = RECONCILABLE_VENDORS.find((v) => v === integration.vendor);
  if (!vendor) {
    throw new DomainError(
      'reconcile_unsupported',
      `Reconcile reads Autotask, Halo PSA and Microsoft 365 integrations; "${integration.vendor}" lists nothing the hub registers.`,
      { vendor: integration.vendor },
    );
  }
  const recorded = recordedWebhooks(await pushedRegistrations(deps.webhooks, caller.tenantId, integrationId));
  const listed: ListedResource[] = [];
  const notes: string[] = [];
  if (!deps.webhooks.publicBaseUrl) notes.push('PUBLIC_BASE_URL is not set: receive URLs were not compared.');
  const { session } = await deps.openSession(caller.tenantId, integrationId, correlationId);
  switch (vendor) {
    case 'autotask': {
      const read = await listAutotaskTicketWebhooks(session as AutotaskSession);
      if (read.truncated)
        notes.push('Autotask listed more ticket webhooks than one page; only the first page was compared.');
      for (const hook of read.items) {
        listed.push({
          kind: 'autotask.ticketWebhook',
          key: hook.id,
          vendorId: hook.id,
          label: hook.name,
          actual: { webhookUrl: hook.webhookUrl, isActive: hook.isActive },
        });
      }
      break;
    }
    case 'halopsa': {
      for (const hook of await listHaloWebhooks(session as HaloSession)) {
        listed.push({
          kind: 'halopsa.webhook',
          key: hook.id,
          vendorId: hook.id,
          label: hook.name,
          actual: { url: hook.url, active: hook.active },
        });
      }
      break;
    }
    case 'microsoft365': {
      const m365 = session as M365Session;
      const subscriptions = await listGraphSubscriptions(m365);
      if (subscriptions.truncated)
        notes.push('Graph listed more subscriptions than were read; the rest were not compared.');
      for (const sub of subscriptions.items) {
        listed.push({
          kind: 'microsoft365.subscription',
          key: sub.id,
          vendorId: sub.id,
          label: `${sub.resource} (${sub.changeType})`,
          actual: { notificationUrl: sub.notificationUrl, resource: sub.resource, changeType: sub.changeType },
        });
      }
      // Absent means on: the connector's default (shared/vendors/microsoft365/config.ts).
      if (integration.config.checkGdap !== false) {
        recorded.push(...(await gdapRecorded(deps, caller, integration)));
        const relationships = await listGdapRelationships(m365);
        if (relationships.truncated)
          notes.push('Graph listed more GDAP relationships than were read; the rest were not compared.');
        listed.push(...gdapListed(relationships.items));
      } else {
        notes.push('GDAP relationships were not read: the integration does not have checkGdap set.');
      }
      break;
    }
  }
  const items = classify(recorded, listed);
  return { integrationId, vendor, checkedAt: new Date(nowMs()).toISOString(), summary: summarise(items), items, notes };
}

// Apply ------------------------------------------------------------------------------------------

export interface ReconcileAction {
  item: string;
  action: 'recreate' | 'remove';
  /** Autotask recreate: the ticket field ids to subscribe (the hub keeps only the field rows' ids). */
  fieldIds?: number[] | undefined;
}

export type ActionOutcome = 'done' | 'would_do' | 'refused' | 'failed';

export interface ActionResult {
  item: string;
  action: ReconcileAction['action'];
  outcome: ActionOutcome;
  /** Why it was refused or failed: a stable word, or the domain error code. */
  reason?: string | undefined;
  detail?: string | undefined;
}

/** Which actions each class allows; anything not created by the hub allows none. */
const ALLOWED: Record<ReconcileClass, ReconcileAction['action'][]> = {
  ours_ok: ['remove'],
  drifted: ['recreate', 'remove'],
  missing_at_vendor: ['recreate', 'remove'],
  unknown_to_us: [],
};

export async function applyReconcile(
  deps: ReconcileDeps,
  caller: Principal,
  integrationId: string,
  request: { confirm?: boolean | undefined; actions: ReconcileAction[] },
  correlationId: string,
): Promise<{ confirmed: boolean; results: ActionResult[]; report: ReconcileReport }> {
  // Always against a fresh diff: a plan made from an old report must not act on what changed since.
  const report = await reconcileIntegration(deps, caller, integrationId, correlationId);
  const byName = new Map(report.items.map((item) => [item.item, item]));
  const confirmed = request.confirm === true;
  const results: ActionResult[] = [];
  for (const action of request.actions) {
    const item = byName.get(action.item);
    const result = (outcome: ActionOutcome, reason?: string, detail?: string): ActionResult => ({
      item: action.item,
      action: action.action,
      outcome,
      ...(reason !== undefined ? { reason } : {}),
      ...(detail !== undefined ? { detail } : {}),
    });
    if (!item) {
      results.push(result('refused', 'no_such_item', 'The fresh diff has no item of that name.'));
      continue;
    }
    // The one rule that never bends: the hub repairs only what it created itself.
    if (!item.createdByHub || item.webhookId === undefined) {
      results.push(
        result('refused', 'not_created_by_hub', 'The hub did not create this resource, so it never changes it.'),
      );
      continue;
    }
    if (!ALLOWED[item.class].includes(action.action)) {
      results.push(
        result('refused', 'not_applicable', `"${action.action}" does not apply to an item that is ${item.class}.`),
      );
      continue;
    }
    if (!confirmed) {
      results.push(result('would_do'));
      continue;
    }
    try {
      const previous = (await pushedRegistrations(deps.webhooks, caller.tenantId, integrationId)).find(
        (p) => p.webhookId === item.webhookId,
      );
      if (!previous) {
        results.push(result('refused', 'no_such_item', 'The registration changed since the diff was read.'));
        continue;
      }
      // Delete at the vendor only what is still there under the recorded (hub-created) id.
      await forgetRegistration(deps.webhooks, caller, item.webhookId, previous.registration.vendorId, {
        atVendor: item.class !== 'missing_at_vendor',
        correlationId,
      });
      if (action.action === 'recreate') {
        await repushWebhook(
          deps.webhooks,
          caller,
          item.webhookId,
          previous.registration,
          action.fieldIds,
          correlationId,
        );
      }
      results.push(result('done'));
    } catch (error) {
      results.push(
        result(
          'failed',
          isDomainError(error) ? error.code : 'vendor_call_failed',
          isDomainError(error) ? error.message : undefined,
        ),
      );
    }
  }
  return { confirmed, results, report };
}
