import { shardOf, tenantPartition } from '../storage/keys';
import type { IndexEntry, IntegrationTables } from './tables';

/** Partitions of the probe index; the fan-out reads them all, each a short list. */
export const INDEX_SHARDS = 8;

function keysFor(tenantId: string, integrationId: string): { pk: string; rk: string } {
  const rk = tenantPartition(tenantId, integrationId);
  return { pk: `shard-${shardOf(rk, INDEX_SHARDS)}`, rk };
}

export async function registerForProbes(
  tables: Pick<IntegrationTables, 'index'>,
  tenantId: string,
  integrationId: string,
): Promise<void> {
  const { pk, rk } = keysFor(tenantId, integrationId);
  await tables.index.upsert(pk, rk, { tenantId, integrationId });
}

export async function unregisterFromProbes(
  tables: Pick<IntegrationTables, 'index'>,
  tenantId: string,
  integrationId: string,
): Promise<void> {
  const { pk, rk } = keysFor(tenantId, integrationId);
  await tables.index.delete(pk, rk);
}

/** Every registered integration of every tenant, shard by shard. */
export async function* allProbeTargets(tables: Pick<IntegrationTables, 'index'>): AsyncGenerator<IndexEntry> {
  for (let shard = 0; shard < INDEX_SHARDS; shard++) {
    for await (const row of tables.index.iterate(`shard-${shard}`)) yield row.value;
  }
}
