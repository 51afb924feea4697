import { complete, deadLetter, deadLetterInfo, type ReceivedMessage, type Settlement } from '../bus/port';
import { nowMs } from '../clock/index';
import { isDomainError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import { errorFields } from '../observability/logger';
import type { Stored } from '../storage/table-repository';
import { VendorError } from '../vendors/contract';
import type { DataQualityWarning, SyncEntity, SyncFilters, SyncStep } from './adapter';
import { syncAdapterFor } from './adapters';
import type { SyncErrorView, SyncWarningView } from './api-schemas';
import { type SyncPageMessage, sendPage, syncPageMessageSchema } from './messages';
import { countSyncPageRead, reportRunFinished } from './metrics-telemetry';
import { recordPartition, writePage } from './records';
import { MAX_RUN_ERRORS, parseJson, releaseLeases, type SyncDeps } from './runs';
import type { SyncRunRow, SyncStatus } from './tables';
import { routeCreatedTickets } from './ticket-routing';

/**
 * The page handler (docs/sync.md, "A run is a chain of messages"). For page n of a run: read the
 * vendor page, upsert its records (idempotent), advance the run's cursor under its ETag only if
 * it still stands at n, then send page n+1. A crash anywhere re-delivers page n: the records are
 * written again to the same rows, the conditional cursor update moves at most once, and a page
 * already committed only re-sends its successor (a duplicate the bus drops if it was sent).
 */

/** Rate-limit waits per page before the run fails (each waits the vendor's Retry-After). */
const MAX_RATE_LIMIT_WAITS = 20;
const MAX_WARNING_GROUPS = 50;
const MAX_EXAMPLES = 5;

export const CRASH_AFTER_RECORDS = 'sync.page.after-records';
export const CRASH_AFTER_COMMIT = 'sync.page.after-commit';

function mergeWarnings(
  existing: SyncWarningView[],
  entity: SyncEntity,
  found: DataQualityWarning[],
): SyncWarningView[] {
  const merged = existing.map((w) => ({ ...w, examples: [...w.examples] }));
  for (const w of found) {
    let group = merged.find((g) => g.entity === entity && g.kind === w.kind && g.field === w.field);
    if (!group) {
      if (merged.length >= MAX_WARNING_GROUPS) continue;
      group = { entity, kind: w.kind, field: w.field, count: 0, examples: [] };
      merged.push(group);
    }
    group.count++;
    if (w.vendorId !== undefined && group.examples.length < MAX_EXAMPLES && !group.examples.includes(w.vendorId))
      group.examples.push(w.vendorId);
  }
  return merged;
}

function appendError(row: SyncRunRow, error: SyncErrorView): string {
  const errors = parseJson<SyncErrorView[]>(row.errors, []);
  return JSON.stringify([...errors, error].slice(-MAX_RUN_ERRORS));
}

function errorView(error: unknown, entity: string): SyncErrorView {
  const at = new Date(nowMs()).toISOString();
  if (error instanceof VendorError) return { code: error.code, message: error.message, entity, at };
  if (isDomainError(error)) return { code: error.code, message: error.message, entity, at };
  return { code: 'internal_error', message: 'The page could not be processed.', entity, at };
}

/** Ends a run (not `succeeded`: that is the last page's commit) and frees its leases. */
async function finish(
  deps: SyncDeps,
  message: SyncPageMessage,
  status: Exclude<SyncStatus, 'running' | 'succeeded'>,
  error: SyncErrorView | undefined,
): Promise<void> {
  const at = new Date(nowMs()).toISOString();
  let ended = false;
  const done = await deps.tables.runs.update(message.tenantId, message.runId, (row) => {
    ended = false;
    if (row?.status !== 'running' || row.pagesCommitted !== message.page) return undefined;
    ended = true;
    return { ...row, status, finishedAt: at, updatedAt: at, ...(error ? { errors: appendError(row, error) } : {}) };
  });
  if (done && ended) reportRunFinished(message.tenantId, message.runId, done.value);
  if (done && done.value.status !== 'running')
    await releaseLeases(
      deps,
      message.tenantId,
      message.runId,
      done.value.integrationId,
      entitiesOf(done.value),
      undefined,
    );
}

function entitiesOf(row: SyncRunRow): string[] {
  return parseJson<string[]>(row.entities, []);
}

/** After the last page: watermarks from what the run saw, leases freed. Idempotent. */
async function settleSucceeded(deps: SyncDeps, tenantId: string, runId: string, row: SyncRunRow): Promise<void> {
  await releaseLeases(deps, tenantId, runId, row.integrationId, entitiesOf(row), parseJson(row.newestSeen, {}), true);
  if (!deps.afterRun) return;
  try {
    await deps.afterRun({
      tenantId,
      integrationId: row.integrationId,
      entities: entitiesOf(row),
      correlationId: row.correlationId,
    });
  } catch (error) {
    // The run itself succeeded and its leases are free; what runs after it is repeatable, and the
    // next run of the integration tries it again.
    deps.log.warn('after-run step failed', { tenantId, runId, ...errorFields(error) });
  }
}

export async function handleSyncPage(deps: SyncDeps, received: ReceivedMessage): Promise<Settlement> {
  const parsed = syncPageMessageSchema.safeParse(received.body);
  if (!parsed.success) return deadLetter('InvalidSyncMessage', 'The body is not a sync page message.');
  const message = parsed.data;
  const stored = await deps.tables.runs.get(message.tenantId, message.runId);
  if (!stored) {
    deps.log.warn('sync page for an unknown run', { runId: message.runId });
    return complete;
  }
  const run = stored.value;
  if (message.page < run.pagesCommitted) {
    // Already committed. Only the page just before the cursor sends the cursor's page, and the
    // bus drops it if it was sent: this closes the crash window between commit and send.
    if (message.page === run.pagesCommitted - 1) {
      if (run.status === 'running')
        await sendPage(
          deps.bus,
          { tenantId: message.tenantId, runId: message.runId, page: run.pagesCommitted, retry: 0 },
          run.correlationId,
        );
      else if (run.status === 'succeeded') await settleSucceeded(deps, message.tenantId, message.runId, run);
    }
    return complete;
  }
  if (run.status !== 'running' || message.page > run.pagesCommitted) return complete;
  if (run.stopRequested) {
    await finish(deps, message, 'stopped', undefined);
    return complete;
  }
  const steps = parseJson<SyncStep[]>(run.steps, []);
  const step = steps[run.stepIndex];
  const adapter = syncAdapterFor(run.vendor);
  if (!step || !adapter) {
    await finish(deps, message, 'failed', errorView(new Error('no step'), step?.entity ?? '-'));
    return complete;
  }
  const since = parseJson<Record<string, string>>(run.since, {})[step.entity];
  let listed: Awaited<ReturnType<typeof adapter.listPage>>;
  try {
    const { session } = await deps.openSession(message.tenantId, run.integrationId, run.correlationId);
    listed = await adapter.listPage(session, {
      step,
      cursor: run.cursor,
      size: run.batchSize,
      filters: parseJson<SyncFilters>(run.filters, {}),
      since,
    });
  } catch (error) {
    await countSyncPageRead(message.tenantId, run.integrationId, error);
    return onPageError(deps, message, run, step, error);
  }
  await countSyncPageRead(message.tenantId, run.integrationId);
  const syncedAt = new Date(nowMs()).toISOString();
  const pageId = `${message.runId}:${message.page}`;
  const warnings = [...listed.warnings];
  const { counts, createdIds } = await writePage(
    deps.tables.records,
    (shard) => recordPartition(message.tenantId, run.integrationId, step.entity, shard),
    pageId,
    listed.records,
    warnings,
    syncedAt,
  );
  crashPoint(CRASH_AFTER_RECORDS);
  let routed = 0;
  if (step.entity === 'tickets' && createdIds.length > 0) {
    // Before the commit: a crash here replays the page, and routing answers the routed ones from its decisions.
    const created = new Set(createdIds);
    routed = await routeCreatedTickets(
      deps.routing,
      { tenantId: message.tenantId, integrationId: run.integrationId, vendor: run.vendor, log: deps.log },
      listed.records.filter((record) => created.has(record.vendorId)),
    );
  }
  let newest: string | undefined;
  for (const record of listed.records)
    if (record.updatedAt !== undefined && (newest === undefined || record.updatedAt > newest))
      newest = record.updatedAt;

  const committed = await commitPage(deps, message, stored, steps, {
    counts,
    failed: listed.failed,
    warnings,
    newest,
    nextCursor: listed.nextCursor,
    entity: step.entity,
  });
  if (run.debug) {
    deps.log.info('sync page committed', {
      runId: message.runId,
      page: message.page,
      entity: step.entity,
      variant: step.variant ?? '-',
      requests: listed.requests.join(' | '),
      ...counts,
      routed,
      failed: listed.failed,
      warnings: warnings.length,
      committed: committed !== undefined,
    });
  }
  if (!committed) return complete;
  crashPoint(CRASH_AFTER_COMMIT);
  if (committed.status === 'succeeded') reportRunFinished(message.tenantId, message.runId, committed);
  if (committed.status === 'succeeded') await settleSucceeded(deps, message.tenantId, message.runId, committed);
  else if (committed.status === 'running')
    await sendPage(
      deps.bus,
      { tenantId: message.tenantId, runId: message.runId, page: message.page + 1, retry: 0 },
      run.correlationId,
    );
  return complete;
}

interface PageOutcome {
  counts: { created: number; updated: number; skipped: number };
  failed: number;
  warnings: DataQualityWarning[];
  newest: string | undefined;
  nextCursor: string | null;
  entity: SyncEntity;
}

/** Moves the cursor past page n only if it still stands at n (ETag-conditional); undefined otherwise. */
async function commitPage(
  deps: SyncDeps,
  message: SyncPageMessage,
  read: Stored<SyncRunRow>,
  steps: SyncStep[],
  outcome: PageOutcome,
): Promise<SyncRunRow | undefined> {
  let moved = false;
  const result = await deps.tables.runs.update(
    message.tenantId,
    message.runId,
    (row) => {
      moved = false;
      if (row?.status !== 'running' || row.pagesCommitted !== message.page) return undefined;
      moved = true;
      const at = new Date(nowMs()).toISOString();
      const stepDone = outcome.nextCursor === null;
      const stepIndex = stepDone ? row.stepIndex + 1 : row.stepIndex;
      const finished = stepIndex >= steps.length;
      const newestSeen = parseJson<Record<string, string>>(row.newestSeen, {});
      const previous = newestSeen[outcome.entity];
      if (outcome.newest !== undefined && (previous === undefined || outcome.newest > previous))
        newestSeen[outcome.entity] = outcome.newest;
      return {
        ...row,
        pagesCommitted: row.pagesCommitted + 1,
        stepIndex,
        cursor: stepDone ? '' : (outcome.nextCursor ?? ''),
        created: row.created + outcome.counts.created,
        updated: row.updated + outcome.counts.updated,
        skipped: row.skipped + outcome.counts.skipped,
        failed: row.failed + outcome.failed,
        warnings: JSON.stringify(
          mergeWarnings(parseJson<SyncWarningView[]>(row.warnings, []), outcome.entity, outcome.warnings),
        ),
        newestSeen: JSON.stringify(newestSeen),
        updatedAt: at,
        ...(finished ? { status: 'succeeded' as const, finishedAt: at } : {}),
      };
    },
    { current: read },
  );
  return moved ? result?.value : undefined;
}

async function onPageError(
  deps: SyncDeps,
  message: SyncPageMessage,
  run: SyncRunRow,
  step: SyncStep,
  error: unknown,
): Promise<Settlement> {
  if (error instanceof VendorError && error.kind === 'rate_limited' && message.retry < MAX_RATE_LIMIT_WAITS) {
    // The vendor said when to come back: the same page, scheduled on the hub's clock.
    const waitMs = Math.max(1000, error.retryAfterMs ?? 30_000);
    await sendPage(
      deps.bus,
      { tenantId: message.tenantId, runId: message.runId, page: message.page, retry: message.retry + 1 },
      run.correlationId,
      new Date(nowMs() + waitMs),
    );
    if (run.debug) deps.log.info('sync page rate limited', { runId: message.runId, page: message.page, waitMs });
    return complete;
  }
  if (error instanceof VendorError && error.retryable && error.kind !== 'rate_limited') {
    // Transient: the bus delivers the page again; past maxDeliveryCount it is dead-lettered.
    throw error;
  }
  deps.log.warn('sync run failed', { runId: message.runId, page: message.page, entity: step.entity });
  await finish(deps, message, 'failed', errorView(error, step.entity));
  return complete;
}

/**
 * A page the bus gave up on (past maxDeliveryCount, or refused as malformed) ends its run
 * `failed`, so a run never stays `running` with no message behind it.
 */
export async function handleDeadLetteredPage(deps: SyncDeps, received: ReceivedMessage): Promise<Settlement> {
  const parsed = syncPageMessageSchema.safeParse(received.body);
  if (!parsed.success) return complete;
  const reason = deadLetterInfo(received)?.reason ?? 'dead-lettered';
  const run = await deps.tables.runs.get(parsed.data.tenantId, parsed.data.runId);
  const step = run ? parseJson<SyncStep[]>(run.value.steps, [])[run.value.stepIndex] : undefined;
  await finish(deps, parsed.data, 'failed', {
    code: 'service_unavailable',
    message: `Page ${parsed.data.page} could not be processed (${reason}).`,
    entity: step?.entity ?? '-',
    at: new Date(nowMs()).toISOString(),
  });
  return complete;
}
