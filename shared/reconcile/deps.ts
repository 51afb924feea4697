import { processCounters } from '../analytics/deps';
import type { Principal } from '../apikeys/principal';
import { services } from '../app/services';
import { reconcileWebhookDeps } from '../inbound/deps';
import { integrationDeps } from '../integrations/deps';
import { everyIntegration, findIntegration, integrationSummaries } from '../integrations/directory';
import { getIntegration, type IntegrationView, openIntegrationSession } from '../integrations/integrations';
import type { ReconcileDeps } from './reconcile';
import { reconcileTables } from './tables';
import { lastReconcileRuns, type ReconcileStatus, type WeeklyDeps } from './weekly';

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

/** The weekly run: every integration (through the directory verbs), the runs table, the counters. */
export function weeklyDeps(): WeeklyDeps {
  return {
    reconcile: reconcileDeps(),
    tables: reconcileTables(services().account),
    everyIntegration: () => everyReconcileTarget(),
    countDrift: (tenantId, integrationId) =>
      processCounters().increment({
        tenantId,
        integrationType: 'prebuilt_integration',
        integrationId,
        outcome: 'reconcile_drift',
        code: '-',
      }),
  };
}

async function* everyReconcileTarget(): AsyncGenerator<{ tenantId: string; integrationId: string; vendor: string }> {
  for await (const { tenantId, integrationId } of everyIntegration(integrationDeps())) {
    const found = await findIntegration(integrationDeps(), tenantId, integrationId);
    if (found) yield { tenantId, integrationId, vendor: found.vendor };
  }
}

/** The last weekly run of each integration of a tenant, for the status page. */
export function reconcileStatuses(tenantId: string): Promise<Map<string, ReconcileStatus>> {
  return lastReconcileRuns(reconcileTables(services().account), tenantId);
}
