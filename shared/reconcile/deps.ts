import type { Principal } from '../apikeys/principal';
import { reconcileWebhookDeps } from '../inbound/vendor-reconcile';
import { integrationDeps } from '../integrations/deps';
import { integrationSummaries } from '../integrations/directory';
import { getIntegration, type IntegrationView, openIntegrationSession } from '../integrations/manage';
import type { ReconcileDeps } from './reconcile';

/** Reconcile runs on the inbound registrations and the integrations' sessions, through their verbs. */
export function reconcileDeps(): ReconcileDeps {
  return {
    webhooks: reconcileWebhookDeps(),
    integration: (caller, id) => getIntegration(integrationDeps(), caller, id),
    integrations: (caller) => allIntegrations(caller),
    openSession: (tenantId, integrationId, correlationId) =>
      openIntegrationSession(integrationDeps(), tenantId, integrationId, correlationId),
  };
}

async function* allIntegrations(caller: Principal): AsyncGenerator<IntegrationView> {
  for await (const summary of integrationSummaries(integrationDeps(), caller.tenantId)) {
    yield await getIntegration(integrationDeps(), caller, summary.id);
  }
}
