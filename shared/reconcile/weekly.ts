import type { Principal } from '../apikeys/principal';
import { isDomainError } from '../errors/domain-error';
import { errorFields, logger } from '../observability/logger';
import { RECONCILABLE_VENDORS, type ReconcileDeps, reconcileIntegration } from './reconcile';
import type { ReconcileRunRow, ReconcileTables } from './tables';

/**
 * The weekly reconcile (docs/reconcile.md): the read-only diff for every Autotask, Halo PSA and
 * Microsoft 365 integration, its counts kept for the integration's status, and a counted event for
 * the dashboards when something drifted. It never applies anything: repairs need a person's confirm.
 */
/** NCRONTAB, seconds first: Mondays at 03:41 UTC, away from the hour marks other timers use. */
export const RECONCILE_SCHEDULE = '0 41 3 * * 1';

export interface WeeklyDeps {
  reconcile: ReconcileDeps;
  tables: ReconcileTables;
  everyIntegration(): AsyncIterable<{ tenantId: string; integrationId: string; vendor: string }>;
  /** One count per integration found out of step (outcome `reconcile_drift`). */
  countDrift(tenantId: string, integrationId: string): Promise<void>;
}

export interface WeeklyResult {
  checked: number;
  drifting: number;
  failed: number;
}

const systemCaller = (tenantId: string): Principal => ({ tenantId, keyId: 'system:reconcile', scopes: [] });

export async function runWeeklyReconcile(deps: WeeklyDeps, options: { limit?: number } = {}): Promise<WeeklyResult> {
  const result: WeeklyResult = { checked: 0, drifting: 0, failed: 0 };
  for await (const target of deps.everyIntegration()) {
    if (!RECONCILABLE_VENDORS.some((v) => v === target.vendor)) continue;
    if (result.checked + result.failed >= (options.limit ?? 5_000)) break;
    const { tenantId, integrationId } = target;
    try {
      const report = await reconcileIntegration(
        deps.reconcile,
        systemCaller(tenantId),
        integrationId,
        `reconcile-${integrationId}`,
      );
      const row: ReconcileRunRow = {
        checkedAt: report.checkedAt,
        oursOk: report.summary.ours_ok,
        missingAtVendor: report.summary.missing_at_vendor,
        drifted: report.summary.drifted,
        unknownToUs: report.summary.unknown_to_us,
      };
      await deps.tables.runs.upsert(tenantId, integrationId, row);
      result.checked++;
      if (row.missingAtVendor + row.drifted > 0) {
        result.drifting++;
        await deps.countDrift(tenantId, integrationId);
      }
    } catch (error) {
      // One vendor down must not stop the others; the status shows the failure beside the last counts.
      result.failed++;
      const reason = isDomainError(error) ? error.code : 'unexpected';
      logger.warn('weekly reconcile failed for an integration', { tenantId, integrationId, ...errorFields(error) });
      await deps.tables.runs
        .update(tenantId, integrationId, (current) => (current ? { ...current, error: reason } : undefined))
        .catch(() => undefined);
    }
  }
  return result;
}

/** What the status page shows of the last weekly run, by integration id. */
export interface ReconcileStatus {
  checkedAt: string;
  missingAtVendor: number;
  drifted: number;
  unknownToUs: number;
  error: string | null;
}

export async function lastReconcileRuns(
  tables: ReconcileTables,
  tenantId: string,
): Promise<Map<string, ReconcileStatus>> {
  const out = new Map<string, ReconcileStatus>();
  for await (const row of tables.runs.iterate(tenantId)) {
    const { checkedAt, missingAtVendor, drifted, unknownToUs, error } = row.value;
    out.set(row.rowKey, { checkedAt, missingAtVendor, drifted, unknownToUs, error: error ?? null });
  }
  return out;
}
