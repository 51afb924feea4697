import { countTransactionNow } from '../analytics/process-counters';
import { services } from '../app/services';
import { processBus } from '../bus/process-bus';
import { integrationDeps } from '../integrations/deps';
import { integrationIsLive } from '../integrations/liveness';
import { getIntegration, openIntegrationSession } from '../integrations/manage';
import { tenantIsActive } from '../tenants/active';
import type { ReceiveDeps } from './receive';
import { registrationNotices } from './registration-notices';
import { inboundTables } from './tables';
import { TenantInboundLimits } from './tenant-limits';
import { type PushDeps, unpushWebhook } from './vendor-push';
import type { WebhookDeps } from './webhooks';

/** What the webhook routes and the receive function run with, built from the process services. */
export function webhookDeps(): WebhookDeps {
  return {
    tables: inboundTables(services().account),
    audit: services().audit,
    publicBaseUrl: services().settings.PUBLIC_BASE_URL,
    integrationVendor: async (caller, integrationId) =>
      (await getIntegration(integrationDeps(), caller, integrationId)).vendor,
    beforeDelete: (record, id, correlationId) => unpushWebhook(pushDeps(), record, id, correlationId),
  };
}

/** Pushing registrations to vendors: the integration's connector session and the renewal index. */
export function pushDeps(): PushDeps {
  return {
    tables: inboundTables(services().account),
    audit: services().audit,
    publicBaseUrl: services().settings.PUBLIC_BASE_URL,
    openSession: (tenantId, integrationId, correlationId) =>
      openIntegrationSession(integrationDeps(), tenantId, integrationId, correlationId),
  };
}

export function receiveDeps(): ReceiveDeps {
  return {
    webhooks: inboundTables(services().account).webhooks,
    renewals: inboundTables(services().account).renewals,
    bus: processBus,
    tenantIsActive,
    integrationIsLive,
    maxBodyBytes: services().settings.WEBHOOK_MAX_BODY_BYTES,
    toleranceSeconds: services().settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
    limits: inboundLimits(),
    countRejection: countTransactionNow,
  };
}

let limits: { account: unknown; value: TenantInboundLimits } | undefined;

/** One limiter per storage account (tests swap the process services). */
function inboundLimits(): TenantInboundLimits {
  const { account, settings } = services();
  if (limits?.account !== account) {
    limits = {
      account,
      value: new TenantInboundLimits(
        account,
        settings.INBOUND_TENANT_RATE_PER_MINUTE,
        settings.INBOUND_TENANT_DAILY_QUOTA,
      ),
    };
  }
  return limits.value;
}

/** The status page's view of pushed webhooks the vendor stopped (shared/inbound/registration-notices.ts). */
export function registrationNoticesOf(tenantId: string) {
  return registrationNotices(inboundTables(services().account), tenantId);
}
