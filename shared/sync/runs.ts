import type { Principal } from '../apikeys/principal';
import type { BusSender } from '../bus/port';
import { nowMs } from '../clock/index';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import type { IntegrationView } from '../integrations/integrations';
import type { Logger } from '../observability/logger';
import type { RoutingDeps } from '../routing/config';
import { odata } from '../sdk/data-tables';
import { escapeKey, newestFirstId } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { VendorSession } from '../vendors/contract';
import type { SyncEntity, SyncFilters, SyncStep } from './adapter';
import { syncAdapterFor } from './adapters';
import type { StartSyncBody, SyncErrorView, SyncRunView, SyncWarningView } from './api-schemas';
import { sendPage } from './messages';
import type { SyncRunRow, SyncTables } from './tables';

/** What the sync verbs need (shared/sync/deps.ts builds it). */
export interface SyncDeps {
  tables: SyncTables;
  bus: BusSender;
  integration(caller: Principal, id: string): Promise<IntegrationView>;
  openSession(
    tenantId: string,
    integrationId: string,
    correlationId: string,
  ): Promise<{ session: VendorSession<unknown, unknown> }>;
  log: Logger;
  /** Team routing, for the tickets a sync creates (ticket-routing.ts). */
  routing: RoutingDeps;
  /**
   * Called once a run has succeeded (again after a redelivered last page: it must be repeatable).
   * The hub refreshes entity sync here (docs/entity-sync.md, "Automatic resync").
   */
  afterRun?(run: {
    tenantId: string;
    integrationId: string;
    entities: readonly string[];
    correlationId: string;
  }): Promise<void>;
}

export const MAX_RUN_ERRORS = 20;

export function stateKey(integrationId: string, entity: string): string {
  return `${escapeKey(integrationId)}|${escapeKey(entity)}`;
}

export function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toView(row: Stored<SyncRunRow>): SyncRunView {
  const v = row.value;
  const steps = parseJson<SyncStep[]>(v.steps, []);
  const step = v.status === 'running' ? steps[v.stepIndex] : undefined;
  return {
    id: row.rowKey,
    integrationId: v.integrationId,
    vendor: v.vendor,
    status: v.status,
    entities: parseJson<string[]>(v.entities, []),
    mode: v.mode,
    batchSize: v.batchSize,
    filters: parseJson<Record<string, unknown>>(v.filters, {}),
    startedAt: v.startedAt,
    finishedAt: v.finishedAt ?? null,
    stopRequested: v.stopRequested,
    current: step ? { entity: step.entity, variant: step.variant ?? null } : null,
    pagesCommitted: v.pagesCommitted,
    counts: { created: v.created, updated: v.updated, skipped: v.skipped, failed: v.failed },
    errors: parseJson<SyncErrorView[]>(v.errors, []),
    warnings: parseJson<SyncWarningView[]>(v.warnings, []),
    since: parseJson<Record<string, string>>(v.since, {}),
  };
}

/**
 * Takes the lease of one integration+entity for `runId`. A lease held by a run that is no longer
 * running (it finished, or its row never got written) is free: a crash cannot keep one forever.
 */
async function takeLease(
  deps: SyncDeps,
  tenantId: string,
  integrationId: string,
  entity: string,
  runId: string,
  scheduled: boolean,
): Promise<string | undefined> {
  let since: string | undefined;
  await deps.tables.state.update(tenantId, stateKey(integrationId, entity), async (current) => {
    if (current?.runId !== undefined && current.runId !== runId) {
      const holder = await deps.tables.runs.get(tenantId, current.runId);
      if (holder?.value.status === 'running') {
        throw new DomainError(
          'sync_already_running',
          `Sync run ${current.runId} of ${entity} is still running for this integration.`,
          { runId: current.runId, entity },
        );
      }
    }
    since = current?.watermark;
    return {
      integrationId,
      entity,
      runId,
      scheduled,
      ...(current?.watermark ? { watermark: current.watermark } : {}),
      ...(current?.completed ? { completed: true } : {}),
    };
  });
  return since;
}

export async function releaseLeases(
  deps: SyncDeps,
  tenantId: string,
  runId: string,
  integrationId: string,
  entities: readonly string[],
  watermarks: Record<string, string> | undefined,
  succeeded = false,
): Promise<void> {
  for (const entity of entities) {
    await deps.tables.state.update(tenantId, stateKey(integrationId, entity), (current) => {
      if (!current || current.runId !== runId) return undefined;
      const { runId: _released, ...released } = current;
      const rest = succeeded ? { ...released, completed: true } : released;
      const watermark = watermarks?.[entity];
      return watermark !== undefined && (rest.watermark === undefined || watermark > rest.watermark)
        ? { ...rest, watermark }
        : rest;
    });
  }
}

export interface StartOptions {
  correlationId: string;
}

/** `POST /api/v1/integrations/{id}/sync`: the run row and its first page message. */
export async function startSync(
  deps: SyncDeps,
  caller: Principal,
  integrationId: string,
  body: StartSyncBody,
  options: StartOptions,
): Promise<SyncRunView> {
  const integration = await deps.integration(caller, integrationId);
  const adapter = syncAdapterFor(integration.vendor);
  const unsupported = adapter
    ? body.entities.filter((e) => !adapter.entities.includes(e))
    : [...new Set(body.entities)];
  if (!adapter || unsupported.length > 0) {
    throw new DomainError(
      'sync_unsupported',
      adapter
        ? `${integration.vendor} sync covers ${adapter.entities.join(', ')}; not ${unsupported.join(', ')}.`
        : `${integration.vendor} integrations have no sync adapter.`,
      { vendor: integration.vendor, entities: unsupported },
    );
  }
  return startRun(deps, caller.tenantId, integration, body, options.correlationId);
}

export async function startRun(
  deps: SyncDeps,
  tenantId: string,
  integration: { id: string; vendor: string },
  body: StartSyncBody,
  correlationId: string,
): Promise<SyncRunView> {
  const adapter = syncAdapterFor(integration.vendor);
  if (!adapter) throw new DomainError('sync_unsupported', `No sync for ${integration.vendor}.`);
  const entities = [...new Set(body.entities)] as SyncEntity[];
  const filters: SyncFilters = body.filters;
  const steps = adapter.steps(entities, filters);
  const at = nowMs();
  const runId = newestFirstId(at);
  const taken: string[] = [];
  const since: Record<string, string> = {};
  try {
    for (const entity of entities) {
      const watermark = await takeLease(deps, tenantId, integration.id, entity, runId, body.schedule);
      taken.push(entity);
      if (body.mode === 'incremental' && watermark !== undefined) since[entity] = watermark;
    }
  } catch (error) {
    await releaseLeases(deps, tenantId, runId, integration.id, taken, undefined);
    throw error;
  }
  const iso = new Date(at).toISOString();
  const row: SyncRunRow = {
    integrationId: integration.id,
    vendor: integration.vendor,
    entities: JSON.stringify(entities),
    mode: body.mode,
    batchSize: body.batchSize,
    filters: JSON.stringify(filters),
    steps: JSON.stringify(steps),
    status: 'running',
    stopRequested: false,
    debug: body.debug,
    stepIndex: 0,
    cursor: '',
    pagesCommitted: 0,
    created: 0,
    updated: 0,
    skipped: 0,
    failed: 0,
    errors: '[]',
    warnings: '[]',
    newestSeen: '{}',
    since: JSON.stringify(since),
    startedAt: iso,
    updatedAt: iso,
    correlationId,
  };
  const stored = await deps.tables.runs.insert(tenantId, runId, row);
  // A crash between the row and this send leaves a running run with no message; the sync timer's
  // sweep sends it again (docs/sync.md, "Crashes").
  await sendPage(deps.bus, { tenantId, runId, page: 0, retry: 0 }, correlationId);
  return toView(stored);
}

export async function getSyncRun(deps: SyncDeps, caller: Principal, runId: string): Promise<SyncRunView> {
  const row = await deps.tables.runs.get(caller.tenantId, runId);
  if (!row) throw new ResourceNotFoundError('sync run', runId);
  return toView(row);
}

export async function listSyncRuns(
  deps: SyncDeps,
  caller: Principal,
  query: {
    limit: number;
    cursor?: string | undefined;
    integrationId?: string | undefined;
    status?: string | undefined;
  },
): Promise<{ items: SyncRunView[]; nextCursor: string | null }> {
  const parts: string[] = [];
  if (query.integrationId) parts.push(odata`integrationId eq ${query.integrationId}`);
  if (query.status) parts.push(odata`status eq ${query.status}`);
  const page = await deps.tables.runs.list(caller.tenantId, {
    limit: query.limit,
    cursor: query.cursor ?? null,
    ...(parts.length > 0 ? { filter: parts.join(' and ') } : {}),
  });
  return { items: page.items.map(toView), nextCursor: page.nextCursor };
}

/** `POST /api/v1/sync-runs/{id}/stop`: a flag the next page sees before it reads the vendor. */
export async function stopSyncRun(deps: SyncDeps, caller: Principal, runId: string): Promise<SyncRunView> {
  const current = await deps.tables.runs.get(caller.tenantId, runId);
  if (!current) throw new ResourceNotFoundError('sync run', runId);
  const updated = await deps.tables.runs.update(
    caller.tenantId,
    runId,
    (value) => {
      if (!value) return undefined;
      if (value.status !== 'running')
        throw new DomainError('sync_run_finished', `Sync run ${runId} is already ${value.status}.`, {
          status: value.status,
        });
      return value.stopRequested
        ? undefined
        : { ...value, stopRequested: true, updatedAt: new Date(nowMs()).toISOString() };
    },
    { current },
  );
  return toView(updated ?? current);
}

export type { SyncErrorView };
