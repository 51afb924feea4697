import { services } from '../app/services';

/**
 * The check other capabilities call before acting for a tenant (webhook receive, probe timers,
 * outbound deliveries): false once the platform operator has disabled it.
 */
export function tenantIsActive(tenantId: string): Promise<boolean> {
  return services().tenants.isActive(tenantId);
}
