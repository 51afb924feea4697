import { nowMs } from '../clock';
import { recordEvent } from '../observability/telemetry';
import { EVENT_NAMES } from '../observability/telemetry-names';
import { escapeKey, newestFirstId, timeBucket } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { RoutingErrorView } from './api-schemas';
import type { RoutingDeps } from './config';
import type { RoutingErrorRow } from './tables';

/**
 * Tickets routing could not give a team, newest first per tenant (GET /api/v1/routing/errors).
 * They are kept rather than thrown because the step that asked (a sync page, a pipeline stage)
 * must go on; the list is where an MSP sees that its config leaves tickets without a team.
 */

function view(stored: Stored<RoutingErrorRow>): RoutingErrorView {
  return { id: stored.rowKey, ...stored.value };
}

/** Tenant-days this process has already marked, so a burst of errors costs one day-row write. */
const markedDays = new Set<string>();
const MAX_MARKED = 10_000;

/**
 * The day row goes first: an error row is never stored without the day row retention finds it by
 * (a crash in between leaves a day row with nothing under it, which the purge simply removes).
 */
async function markErrorDay(deps: RoutingDeps, tenantId: string, atMs: number): Promise<void> {
  const day = timeBucket(atMs, 'day');
  const marker = `${day}|${tenantId}`;
  if (markedDays.has(marker)) return;
  await deps.tables.errorDays.upsert(day, escapeKey(tenantId), { tenantId });
  if (markedDays.size >= MAX_MARKED) markedDays.clear();
  markedDays.add(marker);
}

export async function recordRoutingError(
  deps: RoutingDeps,
  tenantId: string,
  error: Omit<RoutingErrorRow, 'at'>,
): Promise<RoutingErrorView> {
  const at = nowMs();
  await markErrorDay(deps, tenantId, at);
  const row: RoutingErrorRow = { ...error, message: error.message.slice(0, 500), at: new Date(at).toISOString() };
  const stored = await deps.tables.errors.insert(tenantId, newestFirstId(at), row);
  recordEvent(EVENT_NAMES.routingFailed, { tenantId, vendor: error.vendor, code: error.code });
  return view(stored);
}

export async function listRoutingErrors(
  deps: RoutingDeps,
  tenantId: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: RoutingErrorView[]; nextCursor: string | null }> {
  const page = await deps.tables.errors.list(tenantId, { limit: options.limit, cursor: options.cursor ?? null });
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}
