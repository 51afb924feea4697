import type { VendorId } from '../vendors/contract';
import type { IntegrationDeps } from './deps';

/** Integration id by configured directory tenant id (lower case), for one vendor of one hub tenant. */
export async function directoryTenantIds(
  deps: IntegrationDeps,
  tenantId: string,
  vendor: VendorId,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const row of deps.tables.integrations.iterate(tenantId)) {
    if (row.value.vendor !== vendor) continue;
    const tenant = configuredTenant(row.value.config);
    if (tenant !== undefined) out.set(tenant.toLowerCase(), row.rowKey);
  }
  return out;
}

function configuredTenant(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    const tenant = typeof value === 'object' && value !== null ? (value as { tenantId?: unknown }).tenantId : undefined;
    return typeof tenant === 'string' ? tenant : undefined;
  } catch {
    return undefined;
  }
}
