import { depsFromServices } from '../app/services';
import { processBus } from '../bus/process-bus';
import { integrationDeps } from '../integrations/deps';
import { getIntegration, openIntegrationSession } from '../integrations/integrations';
import { integrationIsLive } from '../integrations/liveness';
import { tenantIsActive } from '../tenants/deps';
import type { ReceiveDeps } from './receive';
import { inboundTables } from './tables';
import { type PushDeps, unpushWebhook } from './vendor-push';
import type { WebhookDeps } from './webhooks';

/**
 * What the webhook routes and the receive function run with, built once per Services instance
 * (the integration lookups inside resolve integrations' deps on each call, so they follow it too).
 */
export const webhookDeps: () => WebhookDeps = depsFromServices((svc) => ({
  tables: inboundTables(svc.account),
  audit: svc.audit,
  publicBaseUrl: svc.settings.PUBLIC_BASE_URL,
  integrationVendor: async (caller, integrationId) =>
    (await getIntegration(integrationDeps(), caller, integrationId)).vendor,
  beforeDelete: (record, id, correlationId) => unpushWebhook(pushDeps(), record, id, correlationId),
}));

/** Pushing registrations to vendors: the integration's connector session and the renewal index. */
export const pushDeps: () => PushDeps = depsFromServices((svc) => ({
  tables: inboundTables(svc.account),
  audit: svc.audit,
  publicBaseUrl: svc.settings.PUBLIC_BASE_URL,
  openSession: (tenantId, integrationId, correlationId) =>
    openIntegrationSession(integrationDeps(), tenantId, integrationId, correlationId),
}));

export const receiveDeps: () => ReceiveDeps = depsFromServices((svc) => ({
  webhooks: inboundTables(svc.account).webhooks,
  bus: processBus,
  tenantIsActive,
  integrationIsLive,
  maxBodyBytes: svc.settings.WEBHOOK_MAX_BODY_BYTES,
  toleranceSeconds: svc.settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
}));
