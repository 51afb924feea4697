import { webhookDeps } from './deps';
import { type IngestFilter, parseStoredFilters } from './ingest-filter';
import { cachedIngestFilters, rememberIngestFilters } from './ingest-filter-cache';
import { WEBHOOK_ROW } from './webhooks';

/**
 * The ingest filters of a webhook as the validation stage reads them: one point read of the
 * registration, remembered per instance for FILTER_CACHE_MS (ingest-filter-cache.ts) so a burst of
 * events costs one read and the validation stage's storage budget per event stays as it was. A
 * change made on this instance is seen at once; on other instances within FILTER_CACHE_MS.
 */
export async function ingestFiltersOf(tenantId: string, webhookId: string): Promise<IngestFilter[]> {
  const hit = cachedIngestFilters(webhookId);
  if (hit) return hit;
  const row = await webhookDeps().tables.webhooks.get(webhookId, WEBHOOK_ROW);
  // A webhook that is gone (or not this tenant's) filters nothing: its events were accepted already.
  const rules = row && row.value.tenantId === tenantId ? parseStoredFilters(row.value.filters) : [];
  rememberIngestFilters(webhookId, rules);
  return rules;
}
