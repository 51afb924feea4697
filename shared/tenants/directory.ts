import { nowMs } from '../clock';
import type { TableRepository } from '../storage/table-repository';
import { TENANTS_PARTITION, type TenantRecord } from './tables';

/**
 * Whether the hub acts for a tenant: its keys authenticate, its webhooks are received, its probes
 * and deliveries run. Read on every authenticated request and by every timer and receiver, so the
 * answer is cached per instance for a short time (one storage read per tenant per TTL). A tenant
 * disabled on this instance is refused here at once; other instances follow within the TTL.
 *
 * A tenant without a row is active: the local bootstrap tenant (and keys minted straight into a
 * partition by tests) predate the operator plane. Tenants onboarded through /api/v1/tenants always
 * have a row, and only a row can say `disabled`.
 */
export const TENANT_STATUS_TTL_MS = 30_000;
const MAX_CACHED_TENANTS = 10_000;

export class TenantDirectory {
  private readonly cache = new Map<string, { active: boolean; quota: number | undefined; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<{ active: boolean; quota: number | undefined }>>();

  constructor(
    private readonly table: TableRepository<TenantRecord>,
    private readonly ttlMs = TENANT_STATUS_TTL_MS,
  ) {}

  async isActive(tenantId: string): Promise<boolean> {
    return (await this.read(tenantId)).active;
  }

  /** The operator's daily inbound quota for the tenant; undefined when it has none of its own. */
  async dailyInboundQuota(tenantId: string): Promise<number | undefined> {
    return (await this.read(tenantId)).quota;
  }

  private async read(tenantId: string): Promise<{ active: boolean; quota: number | undefined }> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.expiresAt > nowMs()) return cached;
    let pending = this.inFlight.get(tenantId);
    if (!pending) {
      pending = this.table
        .get(TENANTS_PARTITION, tenantId)
        .then((row) => {
          const active = row === undefined || row.value.status === 'active';
          const quota = row?.value.dailyInboundQuota;
          this.remember(tenantId, active, quota);
          return { active, quota };
        })
        .finally(() => this.inFlight.delete(tenantId));
      this.inFlight.set(tenantId, pending);
    }
    return pending;
  }

  /** Record a status this instance has just written, so it takes effect here without waiting. */
  remember(tenantId: string, active: boolean, quota?: number): void {
    this.cache.delete(tenantId);
    if (this.cache.size >= MAX_CACHED_TENANTS) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(tenantId, { active, quota, expiresAt: nowMs() + this.ttlMs });
  }
}
