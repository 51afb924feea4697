import { services } from '../app/services';
import { processBus } from '../bus/process-bus';
import { integrationDeps } from '../integrations/deps';
import { getIntegration, openIntegrationSession } from '../integrations/integrations';
import { integrationIsLive } from '../integrations/liveness';
import { tenantIsActive } from '../tenants/active';
import type { ReceiveDeps } from './receive';
import { inboundTables } from './tables';
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
    bus: processBus,
    tenantIsActive,
    integrationIsLive,
    maxBodyBytes: services().settings.WEBHOOK_MAX_BODY_BYTES,
    toleranceSeconds: services().settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
  };
}
