import { issueFirstAdminKey } from '../apikeys/api-keys';
import { apiKeyDeps } from '../apikeys/deps';
import { depsFromServices, services } from '../app/services';
import type { TenantDeps } from './tenants';

/** The tenants table and directory, the audit log and the API-key capability's first-key verb. */
export const tenantDeps: () => TenantDeps = depsFromServices((svc) => ({
  table: svc.tenantTable,
  directory: svc.tenants,
  issueFirstAdminKey: (tenantId: string, correlationId: string) =>
    issueFirstAdminKey(apiKeyDeps(), tenantId, correlationId),
  audit: svc.audit,
}));

/**
 * The check other capabilities call before acting for a tenant (webhook receive, probe timers,
 * outbound deliveries): false once the platform operator has disabled it. The directory lives on
 * the Services instance (it caches briefly), so this reads it on each call.
 */
export function tenantIsActive(tenantId: string): Promise<boolean> {
  return services().tenants.isActive(tenantId);
}

/** The operator's daily inbound quota for a tenant (cached with its status); undefined: none of its own. */
export function tenantDailyInboundQuota(tenantId: string): Promise<number | undefined> {
  return services().tenants.dailyInboundQuota(tenantId);
}
