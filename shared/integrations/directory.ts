import type { VendorId } from '../vendors/contract';
import type { IntegrationDeps } from './deps';
import { allProbeTargets, unregisterFromProbes } from './probe-index';

/**
 * What other capabilities (health probes, the pipeline) may know about integrations without
 * reading the integrations tables themselves: which exist, their vendor and name.
 */
export interface IntegrationSummary {
  id: string;
  vendor: VendorId;
  name: string;
  /** The saved config as JSON text, from `integrationSummaries` (the status page's warnings read it). */
  config?: string;
}

export async function* integrationSummaries(
  deps: IntegrationDeps,
  tenantId: string,
): AsyncGenerator<IntegrationSummary> {
  for await (const row of deps.tables.integrations.iterate(tenantId)) {
    yield { id: row.rowKey, vendor: row.value.vendor, name: row.value.name, config: row.value.config };
  }
}

export async function integrationExists(deps: IntegrationDeps, tenantId: string, id: string): Promise<boolean> {
  return (await deps.tables.integrations.get(tenantId, id)) !== undefined;
}

export async function findIntegration(
  deps: IntegrationDeps,
  tenantId: string,
  id: string,
): Promise<IntegrationSummary | undefined> {
  const row = await deps.tables.integrations.get(tenantId, id);
  return row ? { id: row.rowKey, vendor: row.value.vendor, name: row.value.name } : undefined;
}

/** Every integration of every tenant, for the 5-minute probe fan-out. */
export function everyIntegration(deps: IntegrationDeps): AsyncGenerator<{ tenantId: string; integrationId: string }> {
  return allProbeTargets(deps.tables);
}

/**
 * Forgets a probe target whose integration no longer exists (a delete that died between the row
 * and its index entry). Safe against a create in progress: the row is always written before its
 * index entry, so a missing row with an entry means deleted.
 */
export async function dropOrphanProbeTarget(deps: IntegrationDeps, tenantId: string, id: string): Promise<void> {
  if (await integrationExists(deps, tenantId, id)) return;
  await unregisterFromProbes(deps.tables, tenantId, id);
}
