import type { BusSender } from '../bus/port';
import { nowMs } from '../clock';
import { pollUntil } from '../clock/poll-until';
import { catalogCodeOf } from '../error-catalog/catalog-code';
import { ResourceNotFoundError } from '../errors/domain-error';
import type { IntegrationDeps } from '../integrations/deps';
import { findIntegration, integrationExists, integrationSummaries } from '../integrations/directory';
import { invertedTimeKey, tenantPartition } from '../storage/keys';
import { requestProbe } from './fan-out';
import { FLAP_CHANGES, nextTickAt, recentTransitions, STUCK_CHECKING_MS } from './schedule';
import { type StatusWarning, statusWarnings } from './status-warnings';
import type { ProbeStatusRow, ProbeTables } from './tables';

export interface StatusDeps {
  health: ProbeTables;
  integrations: IntegrationDeps;
  bus: BusSender;
  /** The last weekly reconcile of each integration (docs/reconcile.md); absent: shown as null. */
  reconcileRuns?: (tenantId: string) => Promise<Map<string, ReconcileStatusView>>;
  /**
   * What vendors reported about webhooks the hub pushed for each integration (an Autotask
   * deactivation, a removed or missed Graph subscription), by integration id. Unset: none shown.
   */
  registrationNotices?: (tenantId: string) => Promise<Map<string, WebhookNotice[]>>;
}

/** What the status page shows of the last weekly reconcile (shared/reconcile/weekly.ts). */
export interface ReconcileStatusView {
  checkedAt: string;
  missingAtVendor: number;
  drifted: number;
  unknownToUs: number;
  error: string | null;
}

/** A vendor's report about a pushed webhook of this integration (shared/inbound/registration-notices.ts). */
export interface WebhookNotice {
  webhookId: string;
  vendor: string;
  problem: 'deactivated' | 'removed' | 'missed';
  at: string;
  count?: number;
}

type State = ProbeStatusRow['state'];

export interface IntegrationStatus {
  integrationId: string;
  vendor: string;
  name: string;
  state: State;
  lastCheckAt: string | null;
  lastSuccessAt: string | null;
  lastError: {
    status: number | null;
    vendorMessage: string | null;
    hint: string | null;
    reason: string;
    /** The catalog entry for what the probe was counted under: the vendor's status, else the reason. */
    catalogCode: string;
  } | null;
  latencyMs: number | null;
  quota: { used: number; limit: number; windowSeconds: number; headroom: number } | null;
  expiries: { what: string; at: string }[];
  flapping: boolean;
  nextCheckAt: string;
  retryAt: string | null;
  reconcile: ReconcileStatusView | null;
  /** Pushed webhooks the vendor stopped or could not deliver to: the probe can be green meanwhile. */
  webhookNotices: WebhookNotice[];
  /** Standing problems the probe cannot see (status-warnings.ts), e.g. a key expiry never saved. */
  warnings: StatusWarning[];
}

export interface StatusReport {
  summary: Record<'connected' | 'disconnected' | 'needs_attention' | 'checking' | 'unknown', number>;
  items: IntegrationStatus[];
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function isStuck(row: ProbeStatusRow, now: number): boolean {
  return row.state === 'checking' && (!row.checkingSince || Date.parse(row.checkingSince) <= now - STUCK_CHECKING_MS);
}

/**
 * The catalog entry of a probe verdict: the vendor's error status when it answered one, else the
 * reason (`timeout`, `expiring` …: a working credential that expires answers 200).
 */
export function probeCatalogCode(vendorStatus: number | undefined, reason: string): string {
  return catalogCodeOf(vendorStatus !== undefined && vendorStatus >= 400 ? vendorStatus : reason);
}

export function toStatus(
  integrationId: string,
  name: string,
  vendor: string,
  row: ProbeStatusRow | undefined,
  now: number,
  reconcile: ReconcileStatusView | null = null,
): IntegrationStatus {
  const transitions = recentTransitions(row?.transitions, now);
  const failing = row && row.settledState !== 'connected' && row.reason && row.reason !== 'ok';
  return {
    integrationId,
    vendor,
    name,
    state: row?.state ?? 'unknown',
    lastCheckAt: row?.lastCheckAt ?? null,
    lastSuccessAt: row?.lastSuccessAt ?? null,
    lastError: failing
      ? {
          status: row.vendorStatus ?? null,
          vendorMessage: row.vendorMessage ?? null,
          hint: row.hint ?? null,
          reason: row.reason ?? 'unknown',
          catalogCode: probeCatalogCode(row.vendorStatus, row.reason ?? 'unknown'),
        }
      : null,
    latencyMs: row?.latencyMs ?? null,
    quota: parseJson(row?.quota, null),
    expiries: parseJson(row?.expiries, []),
    flapping: transitions.length >= FLAP_CHANGES,
    nextCheckAt: row?.nextCheckAt ?? new Date(nextTickAt(now)).toISOString(),
    retryAt: row?.retryAt ?? null,
    reconcile,
    webhookNotices: [],
    warnings: [],
  };
}

/**
 * The status page: summary cards and one line per integration, from two partition reads. A probe
 * stuck in `checking` for over two minutes is reset here and probed again (the next timer tick
 * would also take it over; this way the admin looking at it does not wait).
 */
export async function integrationStatusReport(deps: StatusDeps, tenantId: string): Promise<StatusReport> {
  const now = nowMs();
  const rows = new Map<string, ProbeStatusRow>();
  for await (const row of deps.health.status.iterate(tenantId)) rows.set(row.rowKey, row.value);
  const summary: StatusReport['summary'] = {
    connected: 0,
    disconnected: 0,
    needs_attention: 0,
    checking: 0,
    unknown: 0,
  };
  const items: IntegrationStatus[] = [];
  const reconciled = deps.reconcileRuns ? await deps.reconcileRuns(tenantId) : new Map<string, ReconcileStatusView>();
  const notices = (await deps.registrationNotices?.(tenantId)) ?? new Map<string, WebhookNotice[]>();
  for await (const integration of integrationSummaries(deps.integrations, tenantId)) {
    const id = integration.id;
    let row = rows.get(id);
    if (row && isStuck(row, now)) {
      const reset = await deps.health.status.update(tenantId, id, (current) => {
        if (!current || !isStuck(current, now)) return undefined;
        const { checkingSince: _c, ...rest } = current;
        return { ...rest, state: current.settledState };
      });
      row = reset?.value ?? row;
      await requestProbe(deps.bus, tenantId, id, 'stuck');
    }
    const status = {
      ...toStatus(id, integration.name, integration.vendor, row, now, reconciled.get(id) ?? null),
      webhookNotices: notices.get(id) ?? [],
      warnings: statusWarnings(integration.vendor, integration.config),
    };
    summary[status.state]++;
    items.push(status);
  }
  return { summary, items };
}

export interface ProbeHistory {
  integrationId: string;
  hours: number;
  uptime: number | null;
  items: {
    at: string;
    state: string;
    latencyMs: number;
    attempts: number;
    vendorStatus: number | null;
    reason: string;
    /** The catalog entry of a failed probe (status, else reason); null when it found the integration fine. */
    catalogCode: string | null;
    vendorMessage: string | null;
    trigger: string;
  }[];
}

/** The rolling history of one integration, newest first (one RowKey range). */
export async function integrationProbeHistory(
  deps: StatusDeps,
  tenantId: string,
  integrationId: string,
  hours: number,
): Promise<ProbeHistory> {
  if (!(await integrationExists(deps.integrations, tenantId, integrationId))) {
    throw new ResourceNotFoundError('integration', integrationId);
  }
  const now = nowMs();
  const items: ProbeHistory['items'] = [];
  for await (const row of deps.health.history.iterate(tenantPartition(tenantId, integrationId), {
    rowKeyTo: invertedTimeKey(now - hours * 3_600_000),
  })) {
    const v = row.value;
    items.push({
      at: v.at,
      state: v.state,
      latencyMs: v.latencyMs,
      attempts: v.attempts,
      vendorStatus: v.vendorStatus ?? null,
      reason: v.reason,
      catalogCode: v.reason === 'ok' ? null : probeCatalogCode(v.vendorStatus, v.reason),
      vendorMessage: v.vendorMessage ?? null,
      trigger: v.trigger,
    });
  }
  const connected = items.filter((i) => i.state === 'connected').length;
  return { integrationId, hours, uptime: items.length > 0 ? connected / items.length : null, items };
}

export async function recheckIntegration(
  deps: StatusDeps,
  tenantId: string,
  integrationId: string,
): Promise<{ integrationId: string; runId: string }> {
  if (!(await integrationExists(deps.integrations, tenantId, integrationId))) {
    throw new ResourceNotFoundError('integration', integrationId);
  }
  return { integrationId, runId: await requestProbe(deps.bus, tenantId, integrationId, 'recheck') };
}

export interface RecheckResult {
  integrationId: string;
  runId: string;
  /** Present when the caller waited: whether the probe run finished within the wait. */
  settled?: boolean;
  /** Present when the caller waited: the integration's status after the wait. */
  status?: IntegrationStatus;
}

/**
 * The run has a verdict: a settled state and no retry of it pending. Another run that claimed the
 * integration first (a timer tick) skips ours, so a verdict written after the request counts too.
 */
function runFinished(row: ProbeStatusRow | undefined, runId: string, requestedAtMs: number): boolean {
  if (!row || row.state === 'checking' || row.retryAt) return false;
  return row.runId === runId || (row.lastCheckAt !== undefined && Date.parse(row.lastCheckAt) >= requestedAtMs);
}

/**
 * `POST …/recheck?wait=N`: queue the probe, then wait up to N seconds for its verdict (a bounded
 * storage poll, clock/poll-until.ts), so a script can recheck and read the result in one call.
 */
export async function recheckAndWait(
  deps: StatusDeps,
  tenantId: string,
  integrationId: string,
  waitSeconds: number,
): Promise<RecheckResult> {
  const integration = await findIntegration(deps.integrations, tenantId, integrationId);
  if (!integration) throw new ResourceNotFoundError('integration', integrationId);
  const requestedAtMs = nowMs();
  const runId = await requestProbe(deps.bus, tenantId, integrationId, 'recheck');
  const { value: row, done } = await pollUntil(
    async () => (await deps.health.status.get(tenantId, integrationId))?.value,
    (current) => runFinished(current, runId, requestedAtMs),
    waitSeconds * 1_000,
  );
  return {
    integrationId,
    runId,
    settled: done,
    status: toStatus(integrationId, integration.name, integration.vendor, row, nowMs()),
  };
}
