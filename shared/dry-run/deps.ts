import { depsFromServices } from '../app/services';
import { ResourceNotFoundError } from '../errors/domain-error';
import { loadEventRecord, payloadTextOf } from '../events/event-store';
import { webhookDeps } from '../inbound/deps';
import { ingestFiltersOf } from '../inbound/ingest-filters';
import { getWebhook } from '../inbound/webhooks';
import { integrationDeps } from '../integrations/deps';
import { getIntegration, resolveDefault } from '../integrations/integrations';
import { sopDeps } from '../sops/deps';
import { enabledSops, findSop } from '../sops/sops';
import type { DryRunDeps } from './dry-run';

/**
 * The dry run's reads, through each owner's own read verbs. Only reads are wired here: a dry run
 * has nothing that could write (docs/pipeline.md, "Dry run").
 */
export const dryRunDeps: () => DryRunDeps = depsFromServices(() => ({
  webhook: async (caller, id) => {
    const view = await getWebhook(webhookDeps(), caller, id);
    return { id: view.id, source: view.source, integrationId: view.integrationId, filters: view.filters };
  },
  storedEvent: async (tenantId, id) => {
    const found = await loadEventRecord(tenantId, id);
    if (!found) return undefined;
    const r = found.record;
    return {
      id,
      source: r.source,
      webhookId: r.webhookId,
      integrationId: r.integrationId,
      receivedAt: r.receivedAt,
      payloadText: await payloadTextOf(r),
    };
  },
  filtersOf: (tenantId, webhookId) => ingestFiltersOf(tenantId, webhookId),
  enabledSops: (tenantId) => enabledSops(sopDeps(), tenantId),
  findSop: (tenantId, id) => findSop(sopDeps(), tenantId, id),
  integrationVendor: async (tenantId, id) => {
    try {
      return (await getIntegration(integrationDeps(), { tenantId, keyId: 'dry-run', scopes: [] }, id)).vendor;
    } catch (error) {
      if (error instanceof ResourceNotFoundError) return undefined;
      throw error;
    }
  },
  defaultIntegration: (tenantId, vendor) => resolveDefault(integrationDeps(), tenantId, vendor),
}));
