import { nowMs } from '../clock';
import type { IngestFilter } from './ingest-filter';

/**
 * The per-instance memory of webhooks' ingest filters (ingest-filters.ts reads through it;
 * webhooks.ts forgets an entry when it changes the rules). Its own module so the verbs that write
 * rules and the reader that loads them need not import each other.
 */
export const FILTER_CACHE_MS = 5_000;
const MAX_CACHED = 10_000;
const cache = new Map<string, { rules: IngestFilter[]; expiresAt: number }>();

export function cachedIngestFilters(webhookId: string): IngestFilter[] | undefined {
  const hit = cache.get(webhookId);
  return hit && hit.expiresAt > nowMs() ? hit.rules : undefined;
}

export function rememberIngestFilters(webhookId: string, rules: IngestFilter[]): void {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(webhookId, { rules, expiresAt: nowMs() + FILTER_CACHE_MS });
}

export function forgetIngestFilters(webhookId: string): void {
  cache.delete(webhookId);
}
