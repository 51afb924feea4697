import { nowMs } from '../clock';
import { integrationDeps } from './deps';
import { integrationExists } from './directory';

/**
 * Whether an integration still exists, for hot paths that must stop acting for a deleted one
 * (webhook receive: "delete … its webhooks stop", docs/design.md §7.1). Cached for a few seconds per
 * instance like the webhook registration itself; the instance that deletes sees it at once.
 */
const CACHE_MS = 5_000;
const cache = new Map<string, { live: boolean; expiresAt: number }>();
const MAX_CACHED = 10_000;

export async function integrationIsLive(tenantId: string, integrationId: string): Promise<boolean> {
  const key = `${tenantId}/${integrationId}`;
  const at = nowMs();
  const hit = cache.get(key);
  if (hit && hit.expiresAt > at) return hit.live;
  const live = await integrationExists(integrationDeps(), tenantId, integrationId);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, { live, expiresAt: at + CACHE_MS });
  return live;
}

/** Called by the delete verb: this instance stops at once, others within CACHE_MS. */
export function forgetIntegrationLiveness(tenantId: string, integrationId: string): void {
  cache.set(`${tenantId}/${integrationId}`, { live: false, expiresAt: Number.POSITIVE_INFINITY });
}
