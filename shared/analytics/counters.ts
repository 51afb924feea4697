import { randomInt } from 'node:crypto';
import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { escapeKey, tenantPartition, timeBucket, timeBucketsBetween, unescapeKey } from '../storage/keys';
import type { CounterTables } from './tables';

/**
 * Pre-aggregated outcome counters (DESIGN §4): one increment per outcome — event received, stage
 * outcome, tool call, vendor call, probe, outbound attempt, replay guard hit — keyed by tenant ×
 * day (and hour) × integration type × integration × outcome × status code or error type.
 *
 * Increments land on one of SHARDS rows chosen at random and are ETag read-modify-writes, so
 * concurrent instances never lose an increment and a hot counter is spread over several rows.
 */

/** DESIGN §4 integration types. */
export type IntegrationType =
  | 'inbound_webhook'
  | 'outbound_webhook'
  | 'prebuilt_integration'
  | 'custom_event'
  | 'custom_node';

export interface CounterKey {
  tenantId: string;
  integrationType: IntegrationType;
  /** Integration, subscription or webhook id; `-` when the outcome belongs to no single one. */
  integrationId: string;
  /** e.g. `connected`, `succeeded`, `failed`, `dead_lettered`, `received`. */
  outcome: string;
  /** HTTP status or error type; `-` when none. */
  code: string;
}

export interface CounterTotal extends CounterKey {
  bucket: string;
  count: number;
}

const SHARDS = 4;

function rowKey(key: CounterKey, shard: number): string {
  return [key.integrationType, key.integrationId, key.outcome, key.code, String(shard)].map(escapeKey).join('|');
}

function parseRowKey(rk: string): Omit<CounterKey, 'tenantId'> | undefined {
  const parts = rk.split('|').map(unescapeKey);
  if (parts.length !== 5) return undefined;
  const [integrationType, integrationId, outcome, code] = parts as [IntegrationType, string, string, string];
  return { integrationType, integrationId, outcome, code };
}

async function bump(table: CounterTables['daily'], pk: string, rk: string, by: number): Promise<void> {
  await table.update(pk, rk, (current) => ({ count: (current?.count ?? 0) + by }), { maxAttempts: 20 });
}

export class Counters {
  constructor(private readonly tables: CounterTables) {}

  /**
   * Count one outcome now. Written next to the work it counts; a failure to count is logged and
   * swallowed, because losing a counter is acceptable only when the work itself went through
   * (the caller's work is never failed by its bookkeeping).
   */
  async increment(key: CounterKey, by = 1): Promise<void> {
    const at = nowMs();
    const shard = randomInt(SHARDS);
    const rk = rowKey(key, shard);
    try {
      await Promise.all([
        bump(this.tables.daily, tenantPartition(key.tenantId, timeBucket(at, 'day')), rk, by),
        bump(this.tables.hourly, tenantPartition(key.tenantId, timeBucket(at, 'hour')), rk, by),
      ]);
    } catch (error) {
      logger.warn('counter not incremented', { ...key, ...errorFields(error) });
    }
  }

  /** Totals per key for each day (or hour) in [fromMs, toMs], shards summed, newest bucket first. */
  async totals(
    tenantId: string,
    fromMs: number,
    toMs: number,
    bucket: 'day' | 'hour',
    filter: Partial<Omit<CounterKey, 'tenantId'>> = {},
  ): Promise<CounterTotal[]> {
    const table = bucket === 'day' ? this.tables.daily : this.tables.hourly;
    const out: CounterTotal[] = [];
    // Narrow the RowKey range by the leading key parts the filter fixes (type, then integration).
    const prefixParts: string[] = [];
    if (filter.integrationType) {
      prefixParts.push(filter.integrationType);
      if (filter.integrationId) prefixParts.push(filter.integrationId);
    }
    const rowKeyPrefix = prefixParts.length > 0 ? `${prefixParts.map(escapeKey).join('|')}|` : undefined;
    for (const label of timeBucketsBetween(fromMs, toMs, bucket)) {
      const sums = new Map<string, CounterTotal>();
      for await (const row of table.iterate(tenantPartition(tenantId, label), rowKeyPrefix ? { rowKeyPrefix } : {})) {
        const parsed = parseRowKey(row.rowKey);
        if (!parsed) continue;
        if (filter.integrationId && parsed.integrationId !== filter.integrationId) continue;
        if (filter.outcome && parsed.outcome !== filter.outcome) continue;
        if (filter.code && parsed.code !== filter.code) continue;
        const id = [parsed.integrationType, parsed.integrationId, parsed.outcome, parsed.code].join('\u0000');
        const total = sums.get(id) ?? { tenantId, bucket: label, ...parsed, count: 0 };
        total.count += row.value.count;
        sums.set(id, total);
      }
      out.push(...sums.values());
    }
    return out;
  }
}
