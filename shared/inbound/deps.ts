import { countTransactionNow, processCounters } from '../analytics/deps';
import { depsFromServices } from '../app/services';
import { processBus } from '../bus/process-bus';
import { integrationDeps } from '../integrations/deps';
import { integrationIsLive } from '../integrations/liveness';
import { tenantDailyInboundQuota, tenantIsActive } from '../tenants/deps';
import type { ReceiveDeps } from './receive';
import { registrationNotices } from './registration-notices';
import { inboundTables } from './tables';
import { TenantInboundLimits } from './tenant-limits';
import type { PushDeps } from './vendor-push';
import type { ReconcileWebhookDeps } from './vendor-reconcile';
import type { WebhookDeps } from './webhooks';

/**
 * The integration verbs and vendor-push bring vendors' connectors with them; a webhook receive and
 * the validation stage never call them, so they load when a route or a push first does
 * (docs/benchmarks.md, "Cold requests").
 */
const integrationVerbs = () => import('../integrations/integrations');

/**
 * What the webhook routes and the receive function run with, built once per Services instance
 * (the integration lookups inside resolve integrations' deps on each call, so they follow it too).
 */
export const webhookDeps: () => WebhookDeps = depsFromServices((svc) => ({
  tables: inboundTables(svc.account),
  audit: svc.audit,
  publicBaseUrl: svc.settings.PUBLIC_BASE_URL,
  integrationVendor: async (caller, integrationId) =>
    (await integrationVerbs()).getIntegration(integrationDeps(), caller, integrationId).then((found) => found.vendor),
  beforeDelete: async (record, id, correlationId) =>
    (await import('./vendor-push')).unpushWebhook(pushDeps(), record, id, correlationId),
}));

/** Pushing registrations to vendors: the integration's connector session and the renewal index. */
export const pushDeps: () => PushDeps = depsFromServices((svc) => ({
  tables: inboundTables(svc.account),
  audit: svc.audit,
  publicBaseUrl: svc.settings.PUBLIC_BASE_URL,
  openSession: async (tenantId, integrationId, correlationId) =>
    (await integrationVerbs()).openIntegrationSession(integrationDeps(), tenantId, integrationId, correlationId),
}));

/** Pushing deps plus the per-tenant webhook list, for reconciling with the vendor (vendor-reconcile.ts). */
export const reconcileWebhookDeps: () => ReconcileWebhookDeps = depsFromServices((svc) => ({
  ...pushDeps(),
  tenantWebhooks: inboundTables(svc.account).tenantWebhooks,
}));

export const receiveDeps: () => ReceiveDeps = depsFromServices((svc) => ({
  webhooks: inboundTables(svc.account).webhooks,
  renewals: inboundTables(svc.account).renewals,
  bus: processBus,
  tenantIsActive,
  integrationIsLive,
  maxBodyBytes: svc.settings.WEBHOOK_MAX_BODY_BYTES,
  toleranceSeconds: svc.settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
  limits: new TenantInboundLimits(
    svc.account,
    svc.settings.INBOUND_TENANT_RATE_PER_MINUTE,
    svc.settings.INBOUND_TENANT_DAILY_QUOTA,
    tenantDailyInboundQuota,
  ),
  countRejection: countTransactionNow,
  countHeld: (tenantId, webhookId) =>
    processCounters().increment({
      tenantId,
      integrationType: 'inbound_webhook',
      integrationId: webhookId,
      outcome: 'held',
      code: '-',
    }),
}));

const registrationTables = depsFromServices((svc) => inboundTables(svc.account));

/** The status page's view of pushed webhooks the vendor stopped (shared/inbound/registration-notices.ts). */
export function registrationNoticesOf(tenantId: string) {
  return registrationNotices(registrationTables(), tenantId);
}
