import { countTransactionNow } from '../analytics/deps';
import { errorFields, logger } from '../observability/logger';
import { recordSyncRun, recordTransaction } from '../observability/telemetry';
import { VendorError } from '../vendors/contract';
import type { SyncErrorView, SyncWarningView } from './api-schemas';
import { runDurationMs, warningCount } from './metrics-runs';
import { parseJson } from './runs';
import type { SyncRunRow } from './tables';

/**
 * What the sync engine reports besides its rows (docs/sync-metrics.md): each vendor page read as a
 * `prebuilt_integration` transaction for the dashboard, and each finished run as telemetry for the
 * workbook and the sync alerts. Bookkeeping never fails the page it follows: errors are logged.
 */

/**
 * Whether a failed read was a vendor call at all: the hub's own rate gate refuses before sending
 * (`rate_limited` with no status), and a session that could not be opened sent nothing either.
 */
function reachedVendor(error: unknown): boolean {
  if (!(error instanceof VendorError)) return false;
  return !(error.kind === 'rate_limited' && error.httpStatus === undefined);
}

/** The code a failed vendor read is counted with: the vendor's status, else the error's code. */
function failureCode(error: unknown): string {
  if (error instanceof VendorError) return error.httpStatus !== undefined ? String(error.httpStatus) : error.kind;
  return 'internal_error';
}

/**
 * One page read from the vendor (one engine page; a vendor serving fewer records per request makes
 * several requests for it, still one transaction): succeeded when the vendor answered.
 */
export async function countSyncPageRead(
  tenantId: string,
  integrationId: string,
  error: unknown = undefined,
): Promise<void> {
  if (error !== undefined && !reachedVendor(error)) return;
  const ok = error === undefined;
  const code = ok ? '-' : failureCode(error);
  recordTransaction({
    type: 'prebuilt_integration',
    outcome: ok ? 'succeeded' : 'failed',
    code,
    tenantId,
    integrationId,
  });
  await countTransactionNow({
    tenantId,
    type: 'prebuilt_integration',
    integrationId,
    ok,
    code,
    ...(ok ? {} : { service: 'sync', description: 'A sync page could not be read from the vendor.' }),
  });
}

/** A run reached a final status: one `hub_sync_run` measurement and event. Never throws. */
export function reportRunFinished(tenantId: string, runId: string, row: SyncRunRow): void {
  try {
    if (row.status === 'running') return;
    const errors = parseJson<SyncErrorView[]>(row.errors, []);
    recordSyncRun({
      tenantId,
      integrationId: row.integrationId,
      syncRunId: runId,
      vendor: row.vendor,
      entity: parseJson<string[]>(row.entities, []).join(','),
      outcome: row.status,
      durationMs: runDurationMs(row) ?? 0,
      records: row.created + row.updated + row.skipped + row.failed,
      warnings: warningCount(parseJson<SyncWarningView[]>(row.warnings, [])),
      code: row.status === 'failed' ? errors[errors.length - 1]?.code : undefined,
    });
  } catch (error) {
    logger.warn('sync run telemetry not recorded', { runId, ...errorFields(error) });
  }
}
