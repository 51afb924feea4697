import { nowMs } from '../clock';
import { tenantsOfDay } from '../events/event-days';
import { EVENT_ROWS_ONLY, tables } from '../events/event-store';
import { errorFields, logger } from '../observability/logger';
import { eraseOutboundPayloadsPastWindow } from '../outbound/delivery-payloads';
import type { OutboundDeps } from '../outbound/deps';
import { tenantPartition, timeBucket, timeBucketsBetween } from '../storage/keys';
import { eraseEventPayload } from './payloads';

/**
 * Payload retention per tenant (docs/storage.md, "Payload retention and erasure"). A tenant may keep
 * payloads shorter than the platform's EVENT_RETENTION_DAYS, after which the whole event goes
 * (shared/inbound/retention.ts). For each tenant with a window of its own, this erases the payloads
 * of its events whose whole day is past that window and not yet past the platform's, at most
 * `limit` erasures per run, oldest day first. Days are found through `eventdays` and a tenant-day
 * only when the tenant is listed there, never by scanning. Erased events are skipped cheaply
 * (their row says so), so a run repeats nothing but the reads. With `outbound`, the same run then
 * erases the tenant's outbound events and delivery payloads past the same window (within the
 * outbound retention, after which those rows go whole), from the same budget.
 */
export const PAYLOAD_ERASURE_LIMIT_PER_RUN = 1_000;
const DAY_MS = 86_400_000;

export interface PayloadRetentionResult {
  erased: number;
  /** The run stopped at its limit; more is due. */
  more: boolean;
}

export interface PayloadRetentionOptions {
  tenants: readonly { tenantId: string; days: number }[];
  platformDays: number;
  limit?: number;
  /** Delivery payloads too: the outbound tables and OUTBOUND_RETENTION_DAYS. */
  outbound?: { deps: OutboundDeps; retentionDays: number };
}

export async function erasePayloadsPastTenantWindows(
  options: PayloadRetentionOptions,
): Promise<PayloadRetentionResult> {
  const limit = options.limit ?? PAYLOAD_ERASURE_LIMIT_PER_RUN;
  const result = await eraseEventPayloads(options, limit);
  if (result.more || !options.outbound) return result;
  const { deps, retentionDays } = options.outbound;
  for (const { tenantId, days } of options.tenants) {
    if (days >= retentionDays) continue;
    try {
      const outbound = await eraseOutboundPayloadsPastWindow(deps, {
        tenantId,
        days,
        retentionDays,
        limit: limit - result.erased,
      });
      result.erased += outbound.erased;
      if (outbound.more) return { ...result, more: true };
    } catch (error) {
      // As for events: one tenant failing must not stop the others; the next run tries it again.
      logger.warn('payload retention could not erase delivery payloads', { tenantId, ...errorFields(error) });
    }
  }
  return result;
}

async function eraseEventPayloads(options: PayloadRetentionOptions, limit: number): Promise<PayloadRetentionResult> {
  const windows = new Map(
    options.tenants.filter((t) => t.days < options.platformDays).map((t) => [t.tenantId, t.days] as const),
  );
  const result: PayloadRetentionResult = { erased: 0, more: false };
  if (windows.size === 0) return result;
  const shortest = Math.min(...windows.values());
  // Days older than the platform window belong to the event retention, which deletes them whole.
  const from = nowMs() - options.platformDays * DAY_MS;
  const days = timeBucketsBetween(from, nowMs() - shortest * DAY_MS, 'day');
  for (const day of days) {
    for await (const tenantId of tenantsOfDay(day)) {
      const window = windows.get(tenantId);
      if (window === undefined) continue;
      // Whole days only, as the event retention does: a day goes once all of it is past the window.
      if (day >= timeBucket(nowMs() - window * DAY_MS, 'day')) continue;
      try {
        for await (const row of tables().events.iterate(tenantPartition(tenantId, day), EVENT_ROWS_ONLY)) {
          if (row.value.payloadErasedAt) continue;
          if (result.erased >= limit) {
            result.more = true;
            return result;
          }
          await eraseEventPayload(tenantId, row.rowKey);
          result.erased++;
        }
      } catch (error) {
        // One tenant-day failing must not stop the others; the next run tries it again.
        logger.warn('payload retention could not erase a tenant-day', { tenantId, day, ...errorFields(error) });
      }
    }
  }
  return result;
}
