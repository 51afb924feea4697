import type { BusSender } from '../bus/port';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import type { IntegrationDeps } from '../integrations/deps';
import { integrationExists, integrationSummaries } from '../integrations/directory';
import { invertedTimeKey, tenantPartition } from '../storage/keys';
import { requestProbe } from './fan-out';
import { FLAP_CHANGES, nextTickAt, recentTransitions, STUCK_CHECKING_MS } from './schedule';
import type { ProbeStatusRow, ProbeTables } from './tables';

export interface StatusDeps {
  health: ProbeTables;
  integrations: IntegrationDeps;
  bus: BusSender;
}

type State = ProbeStatusRow['state'];

export interface IntegrationStatus {
  integrationId: string;
  vendor: string;
  name: string;
  state: State;
  lastCheckAt: string | null;
  lastSuccessAt: string | null;
  lastError: { status: number | null; vendorMessage: string | null; hint: string | null; reason: string } | null;
  latencyMs: number | null;
  quota: { used: number; limit: number; windowSeconds: number; headroom: number } | null;
  expiries: { what: string; at: string }[];
  flapping: boolean;
  nextCheckAt: string;
  retryAt: string | null;
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

export function toStatus(
  integrationId: string,
  name: string,
  vendor: string,
  row: ProbeStatusRow | undefined,
  now: number,
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
        }
      : null,
    latencyMs: row?.latencyMs ?? null,
    quota: parseJson(row?.quota, null),
    expiries: parseJson(row?.expiries, []),
    flapping: transitions.length >= FLAP_CHANGES,
    nextCheckAt: row?.nextCheckAt ?? new Date(nextTickAt(now)).toISOString(),
    retryAt: row?.retryAt ?? null,
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
    const status = toStatus(id, integration.name, integration.vendor, row, now);
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
