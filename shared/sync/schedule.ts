import { nowMs } from '../clock/index';
import { isDomainError } from '../errors/domain-error';
import { odata } from '../sdk/data-tables';
import { escapeKey } from '../storage/keys';
import type { SyncEntity } from './adapter';
import { sendPage } from './messages';
import { type SyncDeps, startRun } from './runs';

/**
 * The sync timer (docs/sync.md, "The timer"): incremental runs for every integration+entity whose
 * last run asked to be scheduled and that has succeeded once (a watermark, or the `completed` mark
 * for vendors whose records carry no last-updated time), never while a run of it
 * holds the lease; and a sweep that re-sends the current page of runs that made no progress for
 * a while (a crash between a run's row and its first message).
 *
 * A disabled tenant is skipped whole — no new run, no re-send — as its webhooks and probes are
 * (docs/design.md §2); its runs carry on from where they stood once it is enabled again. An
 * integration whose probe reports it unhealthy is not skipped: the run's first page meets the
 * vendor's answer and ends the run `failed` with that answer's code, which is what tells the admin
 * why the data is stale, and its watermark stays where it was, so nothing is missed once the
 * vendor answers again.
 */

export const STALLED_AFTER_MS = 10 * 60_000;

export interface ScheduleDeps extends SyncDeps {
  everyIntegration(): AsyncGenerator<{ tenantId: string; integrationId: string; vendor: string }>;
  /** False once the platform operator has disabled the tenant (shared/tenants). */
  tenantIsActive(tenantId: string): Promise<boolean>;
}

export interface ScheduleResult {
  started: number;
  resent: number;
  /** Integrations passed over because their tenant is disabled. */
  skippedDisabled: number;
}

export async function runScheduledSyncs(deps: ScheduleDeps): Promise<ScheduleResult> {
  const result: ScheduleResult = { started: 0, resent: 0, skippedDisabled: 0 };
  const tenants = new Map<string, boolean>();
  for await (const target of deps.everyIntegration()) {
    let active = tenants.get(target.tenantId);
    if (active === undefined) {
      active = await deps.tenantIsActive(target.tenantId);
      tenants.set(target.tenantId, active);
    }
    if (!active) {
      result.skippedDisabled++;
      continue;
    }
    const due: SyncEntity[] = [];
    for await (const row of deps.tables.state.iterate(target.tenantId, {
      rowKeyPrefix: `${escapeKey(target.integrationId)}|`,
    })) {
      const completedOnce = row.value.completed === true || row.value.watermark !== undefined;
      if (row.value.scheduled && completedOnce && row.value.runId === undefined)
        due.push(row.value.entity as SyncEntity);
    }
    if (due.length === 0) continue;
    try {
      await startRun(
        deps,
        target.tenantId,
        { id: target.integrationId, vendor: target.vendor },
        {
          entities: due,
          mode: 'incremental',
          batchSize: 100,
          filters: { ticketStatus: 'all', includeInactive: false },
          schedule: true,
          debug: false,
        },
        `sync-timer-${nowMs()}`,
      );
      result.started++;
    } catch (error) {
      // Another run took the lease in between: the next tick tries again.
      if (!isDomainError(error)) throw error;
      deps.log.warn('scheduled sync not started', { integrationId: target.integrationId, code: error.code });
    }
  }
  const stalledBefore = new Date(nowMs() - STALLED_AFTER_MS).toISOString();
  for (const [tenantId, active] of tenants) {
    if (!active) continue;
    for await (const run of deps.tables.runs.iterate(tenantId, {
      filter: odata`status eq ${'running'} and updatedAt lt ${stalledBefore}`,
    })) {
      await sendPage(
        deps.bus,
        { tenantId, runId: run.rowKey, page: run.value.pagesCommitted, retry: 0 },
        run.value.correlationId,
      );
      result.resent++;
    }
  }
  return result;
}
