import type { Counters } from '../analytics/counters';
import { INTEGRATION_TYPES, type IntegrationType } from '../analytics/counters';
import type { FailureGroup, FailureGroups } from '../analytics/failure-groups';
import { type Controls, type DaySummary, emptyControls } from '../analytics/summaries';
import {
  dayCountsOf,
  examplesOf,
  failureGroupPartition,
  listOf,
  parseFailureGroupRowKey,
  type StoredExample,
} from '../analytics/transactions';
import { resolveCatalogEntry } from '../error-catalog/catalog';
import { DomainError } from '../errors/domain-error';
import { timeBucket } from '../storage/keys';

/**
 * The integrations dashboard (docs/dashboard.md): totals, per-type tiles, errors by code and daily
 * trends from the day summaries (one range of days × shards rows of bounded size), and the
 * failures table from the failure groups (at most the groups' cap of rows, each with its failures per
 * day). Neither grows with volume, so the cost is set by the period, never by how many
 * transactions ran (docs/decisions.md §70).
 */
export interface DashboardDeps {
  counters: Pick<Counters, 'daySummaries'>;
  groups: Pick<FailureGroups, 'list' | 'get'>;
}

export const MAX_DAYS = 90;
const DAY_MS = 86_400_000;

export interface Tally {
  succeeded: number;
  failed: number;
  /** Inbound events an ingest filter dropped: neither a success nor a failure (docs/pipeline.md). */
  filtered: number;
}

export interface Tile extends Tally {
  succeededChangePct: number | null;
  failedChangePct: number | null;
}

export interface DashboardQuery {
  days: number;
  types?: readonly IntegrationType[] | undefined;
}

interface Period {
  fromMs: number;
  toMs: number;
  days: string[];
}

/** Today and the N-1 days before it; the previous period is the N days before that. */
export function periods(nowMs: number, days: number): { current: Period; previous: Period } {
  const todayStart = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const fromMs = todayStart - (days - 1) * DAY_MS;
  const dayList = (start: number) => Array.from({ length: days }, (_, i) => timeBucket(start + i * DAY_MS, 'day'));
  return {
    current: { fromMs, toMs: nowMs, days: dayList(fromMs) },
    previous: { fromMs: fromMs - days * DAY_MS, toMs: fromMs - 1, days: dayList(fromMs - days * DAY_MS) },
  };
}

/** Percent change, one decimal; null when the previous period had none to compare with. */
export function changePct(current: number, previous: number): number | null {
  if (previous === 0) return null;
  return Math.round(((current - previous) / previous) * 1000) / 10;
}

const emptyTally = (): Tally => ({ succeeded: 0, failed: 0, filtered: 0 });

function add(tally: Tally, day: Tally): void {
  tally.succeeded += day.succeeded;
  tally.failed += day.failed;
  tally.filtered += day.filtered;
}

function tile(current: Tally, previous: Tally): Tile {
  return {
    ...current,
    succeededChangePct: changePct(current.succeeded, previous.succeeded),
    failedChangePct: changePct(current.failed, previous.failed),
  };
}

export interface ErrorCodeRow {
  code: string;
  label: string;
  /** The catalog entry that explains it (the code itself, or its class when not listed). */
  catalogCode: string;
  count: number;
  byType: Record<IntegrationType, number>;
}

export interface FailureRow {
  id: string;
  type: IntegrationType;
  integrationId: string;
  integrationName: string;
  code: string;
  label: string;
  catalogCode: string;
  description: string;
  services: string[];
  flows: string[];
  totalErrors: number;
  lastSeen: string;
  link: string;
}

export interface Dashboard {
  days: number;
  from: string;
  to: string;
  previousFrom: string;
  previousTo: string;
  totals: Tile;
  byType: Array<Tile & { type: IntegrationType }>;
  errorsByCode: ErrorCodeRow[];
  trends: Array<Tally & { date: string; type: IntegrationType }>;
  failures: FailureRow[];
  /**
   * What the outbound and inbound controls kept waiting in the period (not transactions): deliveries
   * held by paused subscriptions, sends that waited for a rate limit or a 429, inbound events held
   * by paused webhooks; `controlTrends` the same per day, oldest first.
   */
  controls: Controls;
  controlTrends: Array<Controls & { date: string }>;
}

const zeroByType = (): Record<IntegrationType, number> =>
  Object.fromEntries(INTEGRATION_TYPES.map((t) => [t, 0])) as Record<IntegrationType, number>;

/** A failure group's public id: its RowKey, URL-safe. */
export function failureId(rowKey: string): string {
  return Buffer.from(rowKey, 'utf8').toString('base64url');
}

function rowKeyOfId(id: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(id)) return undefined;
  return Buffer.from(id, 'base64url').toString('utf8');
}

function isoDay(day: string): string {
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
}

export async function buildDashboard(
  deps: DashboardDeps,
  tenantId: string,
  query: DashboardQuery,
  nowMs: number,
): Promise<Dashboard> {
  if (!Number.isInteger(query.days) || query.days < 1 || query.days > MAX_DAYS) {
    throw new DomainError('validation_failed', `days must be 1 to ${MAX_DAYS}.`);
  }
  const { current, previous } = periods(nowMs, query.days);
  // Both periods are consecutive days: one range of the summaries.
  const [summaries, groups] = await Promise.all([
    deps.counters.daySummaries(tenantId, [...previous.days, ...current.days]),
    readGroups(deps, tenantId),
  ]);
  const before = summaries.slice(0, previous.days.length);
  const now = summaries.slice(previous.days.length);

  const total = emptyTally();
  const totalBefore = emptyTally();
  const byType = new Map(INTEGRATION_TYPES.map((t) => [t, emptyTally()]));
  const byTypeBefore = new Map(INTEGRATION_TYPES.map((t) => [t, emptyTally()]));
  const trend = new Map<string, Tally>();
  const codes = new Map<string, ErrorCodeRow>();
  for (const day of before) {
    for (const type of INTEGRATION_TYPES) {
      add(totalBefore, day.types[type]);
      add(byTypeBefore.get(type) ?? emptyTally(), day.types[type]);
    }
  }
  for (const day of now) {
    for (const type of INTEGRATION_TYPES) {
      add(total, day.types[type]);
      add(byType.get(type) ?? emptyTally(), day.types[type]);
      const trendKey = `${day.day}|${type}`;
      const point = trend.get(trendKey) ?? emptyTally();
      add(point, day.types[type]);
      trend.set(trendKey, point);
    }
    countCodes(day, codes);
  }
  const controls = emptyControls();
  const controlTrends = now.map((day) => {
    controls.held += day.controls.held;
    controls.throttled += day.controls.throttled;
    controls.inboundHeld += day.controls.inboundHeld;
    return { date: isoDay(day.day), ...day.controls };
  });

  const trendTypes = query.types && query.types.length > 0 ? query.types : INTEGRATION_TYPES;
  const trends: Dashboard['trends'] = [];
  for (const day of current.days) {
    for (const type of trendTypes) {
      const point = trend.get(`${day}|${type}`) ?? emptyTally();
      trends.push({ date: isoDay(day), type, ...point });
    }
  }

  const fromIso = new Date(current.fromMs).toISOString();
  const failures: FailureRow[] = [];
  for (const group of groups) {
    const key = parseFailureGroupRowKey(group.rowKey);
    if (!key) continue;
    const totalErrors = errorsIn(group, current.days);
    if (totalErrors === 0 && group.value.lastSeen < fromIso) continue;
    failures.push(failureRow(group, key, totalErrors));
  }
  failures.sort((a, b) => b.totalErrors - a.totalErrors || b.lastSeen.localeCompare(a.lastSeen));

  return {
    days: query.days,
    from: fromIso,
    to: new Date(current.toMs).toISOString(),
    previousFrom: new Date(previous.fromMs).toISOString(),
    previousTo: new Date(previous.toMs).toISOString(),
    totals: tile(total, totalBefore),
    byType: INTEGRATION_TYPES.map((type) => ({
      type,
      ...tile(byType.get(type) ?? emptyTally(), byTypeBefore.get(type) ?? emptyTally()),
    })),
    errorsByCode: [...codes.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    trends,
    failures,
    controls,
    controlTrends,
  };
}

/** Adds a day's failures to the errors by code. */
function countCodes(day: DaySummary, codes: Map<string, ErrorCodeRow>): void {
  for (const f of day.failed) {
    let code = codes.get(f.code);
    if (!code) {
      const { entry } = resolveCatalogEntry(f.code);
      code = { code: f.code, label: entry.title, catalogCode: entry.code, count: 0, byType: zeroByType() };
      codes.set(f.code, code);
    }
    code.count += f.count;
    code.byType[f.type] += f.count;
  }
}

/** A group's failures on `days`, from the per-day counts its row carries. */
function errorsIn(group: FailureGroup, days: readonly string[]): number {
  const counts = dayCountsOf(group.value.days);
  return days.reduce((sum, day) => sum + (counts[day] ?? 0), 0);
}

function readGroups(deps: DashboardDeps, tenantId: string): Promise<FailureGroup[]> {
  return deps.groups.list(failureGroupPartition(tenantId));
}

/** Where the dashboard links an integration of each type. */
export function integrationLink(type: IntegrationType, integrationId: string): string | null {
  if (integrationId === '-') return null;
  const id = encodeURIComponent(integrationId);
  switch (type) {
    case 'inbound_webhook':
      return `/api/v1/webhooks/${id}`;
    case 'outbound_webhook':
      return `/api/v1/subscriptions/${id}`;
    case 'prebuilt_integration':
      return `/api/v1/integrations/${id}`;
    case 'custom_node':
      return `/api/v1/sops/${id}`;
    case 'custom_event':
      return null;
  }
}

function exampleLink(example: StoredExample): string | null {
  const id = encodeURIComponent(example.id);
  switch (example.kind) {
    case 'event':
      return `/api/v1/events/${id}`;
    case 'delivery':
      return `/api/v1/deliveries/${id}`;
    case 'agent_run':
      return `/api/v1/agent-runs/${id}`;
    default:
      return null;
  }
}

function failureRow(
  group: FailureGroup,
  key: { type: IntegrationType; integrationId: string; code: string },
  totalErrors: number,
): FailureRow {
  const { entry } = resolveCatalogEntry(key.code);
  const id = failureId(group.rowKey);
  return {
    id,
    type: key.type,
    integrationId: key.integrationId,
    integrationName: group.value.integrationName ?? key.integrationId,
    code: key.code,
    label: entry.title,
    catalogCode: entry.code,
    description: group.value.description || entry.meaning,
    services: listOf(group.value.services),
    flows: listOf(group.value.flows),
    totalErrors,
    lastSeen: group.value.lastSeen,
    link: `/api/v1/dashboard/failures/${id}`,
  };
}

export interface FailureDetail extends Omit<FailureRow, 'link'> {
  firstSeen: string;
  remediation: string;
  examples: Array<StoredExample & { link: string | null }>;
  links: { integration: string | null; flows: Array<{ sopId: string; link: string }>; catalog: string };
}

/** One row of the failures table with its examples and links; errors counted over `days`. */
export async function failureDetail(
  deps: DashboardDeps,
  tenantId: string,
  id: string,
  days: number,
  nowMs: number,
): Promise<FailureDetail> {
  const rowKey = rowKeyOfId(id);
  const key = rowKey ? parseFailureGroupRowKey(rowKey) : undefined;
  const group = rowKey && key ? await deps.groups.get(failureGroupPartition(tenantId), rowKey) : undefined;
  if (!group || !key) throw new DomainError('not_found', `No failure "${id}" in this tenant.`, { id });
  const { current } = periods(nowMs, days);
  const { link: _link, ...row } = failureRow(group, key, errorsIn(group, current.days));
  const { entry } = resolveCatalogEntry(key.code);
  return {
    ...row,
    firstSeen: group.value.firstSeen,
    remediation: entry.remediation[key.type].text,
    examples: examplesOf(group.value.examples).map((e) => ({ ...e, link: exampleLink(e) })),
    links: {
      integration: integrationLink(key.type, key.integrationId),
      flows: row.flows.map((sopId) => ({ sopId, link: `/api/v1/sops/${encodeURIComponent(sopId)}` })),
      catalog: `/api/v1/error-catalog/${encodeURIComponent(entry.code)}`,
    },
  };
}
