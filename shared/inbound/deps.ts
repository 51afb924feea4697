import { services } from '../app/services';
import { processBus } from '../bus/process-bus';
import { integrationDeps } from '../integrations/deps';
import { getIntegration } from '../integrations/manage';
import { tenantIsActive } from '../tenants/active';
import type { ReceiveDeps } from './receive';
import { inboundTables } from './tables';
import type { WebhookDeps } from './webhooks';

/** What the webhook routes and the receive function run with, built from the process services. */
export function webhookDeps(): WebhookDeps {
  return {
    tables: inboundTables(services().account),
    audit: services().audit,
    publicBaseUrl: services().settings.PUBLIC_BASE_URL,
    integrationVendor: async (caller, integrationId) =>
      (await getIntegration(integrationDeps(), caller, integrationId)).vendor,
  };
}

export function receiveDeps(): ReceiveDeps {
  return {
    webhooks: inboundTables(services().account).webhooks,
    bus: processBus,
    tenantIsActive,
    maxBodyBytes: services().settings.WEBHOOK_MAX_BODY_BYTES,
    toleranceSeconds: services().settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
  };
}
