import { z } from 'zod';
import { tenantPartition } from '../storage/keys';
import type { Increments } from './coalescing-writer';
import { INTEGRATION_TYPES, type IntegrationType } from './integration-types';
import type { CounterSummaryRow } from './tables';

/**
 * Day summaries (docs/dashboard.md, "How it is stored"): per tenant, UTC day and writer shard, the
 * transactions succeeded and failed per type and the failures per code × type — everything the
 * dashboard's totals, tiles, trends and errors by code need, and nothing that grows with volume:
 * five types × three outcomes and at most MAX_CODES codes (further codes fold into their class).
 * Written by `Counters.increment` next to the detailed counters, through the same coalescing,
 * ETag-conditional writer, so concurrent writers lose nothing; a period is then one range read of
 * days × shards rows instead of every counter row of every day.
 */
export interface Tally {
  succeeded: number;
  failed: number;
  /** Inbound events an ingest filter dropped: neither a success nor a failure (docs/pipeline.md). */
  filtered: number;
}

/** The outcomes a summary counts. */
export type SummaryOutcome = 'succeeded' | 'failed' | 'filtered';

/**
 * Work the outbound and inbound controls kept waiting, per day (docs/dashboard.md, "Held and
 * throttled"): deliveries held by a paused subscription, sends that waited for a rate limit or a
 * 429 slowdown, and inbound events held by a paused webhook. Not transactions: the tiles, trends
 * and success rate do not include them.
 */
export interface Controls {
  held: number;
  throttled: number;
  inboundHeld: number;
}

/** The counter outcomes that add to `Controls` (control-counts.ts, inbound receive). */
export type ControlOutcome = 'held' | 'throttled';

export interface DaySummary {
  /** `YYYYMMDD` (UTC). */
  day: string;
  types: Record<IntegrationType, Tally>;
  /** Failures per code (as counted, or its class when folded) and type. */
  failed: Array<{ code: string; type: IntegrationType; count: number }>;
  controls: Controls;
}

/**
 * Distinct codes one summary row holds by name. A code arriving after that is counted under its
 * class (`4xx`, `5xx` … for a numeric status, `other` for the rest) in that row only, so a row
 * stays a few kilobytes however many codes a bad day invents; the detailed counters keep it exact.
 */
export const MAX_CODES = 100;

/** The class a code folds into when a row already holds MAX_CODES codes. */
export function codeClass(code: string): string {
  return /^[1-5]\d\d$/.test(code) ? `${code[0]}xx` : 'other';
}
const CLASSES = new Set(['1xx', '2xx', '3xx', '4xx', '5xx', 'other']);

export function summaryPartition(tenantId: string): string {
  return tenantPartition(tenantId, 'days');
}

/** `YYYYMMDD|shard`: a tenant's days in order, so a period is one RowKey range. */
export function summaryRowKey(day: string, shard: number): string {
  return `${day}|${String(shard).padStart(2, '0')}`;
}

/**
 * What a row holds once parsed: per type [succeeded, failed, filtered], per code per type failed,
 * and [held, throttled, inboundHeld] (absent on rows that never counted one).
 */
export interface SummaryCounts {
  types: Partial<Record<IntegrationType, [number, number, number]>>;
  codes: Record<string, Partial<Record<IntegrationType, number>>>;
  controls?: [number, number, number];
}

const count = z.number().int().nonnegative();
const typeKey = z.enum(INTEGRATION_TYPES);
// Rows written before ingest filters existed hold [succeeded, failed]: read as filtered 0.
const typesSchema = z.partialRecord(
  typeKey,
  z.union([z.tuple([count, count, count]), z.tuple([count, count]).transform(([s, f]) => [s, f, 0] as const)]),
);
const codesSchema = z.record(z.string(), z.partialRecord(typeKey, count));
const controlsSchema = z.tuple([count, count, count]);

/** One transaction as a summary increment. */
export function summaryDelta(type: IntegrationType, outcome: SummaryOutcome, code: string, by: number): SummaryCounts {
  if (outcome === 'succeeded') return { types: { [type]: [by, 0, 0] }, codes: {} };
  if (outcome === 'filtered') return { types: { [type]: [0, 0, by] }, codes: {} };
  return { types: { [type]: [0, by, 0] }, codes: { [code]: { [type]: by } } };
}

/**
 * A held or throttled outcome as a summary increment: an outbound subscription's `held` is a held
 * delivery and `throttled` a send that waited; any other type's `held` is an inbound event held.
 */
export function controlDelta(type: IntegrationType, outcome: ControlOutcome, by: number): SummaryCounts {
  const controls: [number, number, number] =
    type !== 'outbound_webhook' ? [0, 0, outcome === 'held' ? by : 0] : outcome === 'held' ? [by, 0, 0] : [0, by, 0];
  return { types: {}, codes: {}, controls };
}

function addInto(into: SummaryCounts, delta: SummaryCounts): SummaryCounts {
  if (delta.controls) {
    const cur = into.controls ?? [0, 0, 0];
    into.controls = [cur[0] + delta.controls[0], cur[1] + delta.controls[1], cur[2] + delta.controls[2]];
  }
  for (const [type, [s, f, x]] of Object.entries(delta.types) as Array<[IntegrationType, [number, number, number]]>) {
    const cur = into.types[type] ?? [0, 0, 0];
    into.types[type] = [cur[0] + s, cur[1] + f, cur[2] + x];
  }
  for (const [code, byType] of Object.entries(delta.codes)) {
    const target =
      code in into.codes || CLASSES.has(code) || Object.keys(into.codes).length < MAX_CODES ? code : codeClass(code);
    const row = into.codes[target] ?? {};
    for (const [type, n] of Object.entries(byType) as Array<[IntegrationType, number]>)
      row[type] = (row[type] ?? 0) + n;
    into.codes[target] = row;
  }
  return into;
}

const copy = (c: SummaryCounts): SummaryCounts => ({
  types: { ...c.types },
  codes: Object.fromEntries(Object.entries(c.codes).map(([k, v]) => [k, { ...v }])),
  ...(c.controls ? { controls: [...c.controls] as [number, number, number] } : {}),
});

/** Parsed counts of a stored row; throws on a row that is not one (never overwritten blindly). */
export function countsOf(row: CounterSummaryRow): SummaryCounts {
  const types = typesSchema.parse(JSON.parse(row.types)) as SummaryCounts['types'];
  const codes = codesSchema.parse(JSON.parse(row.codes));
  return row.controls ? { types, codes, controls: controlsSchema.parse(JSON.parse(row.controls)) } : { types, codes };
}

export function toSummaryRow(counts: SummaryCounts): CounterSummaryRow {
  const row: CounterSummaryRow = { types: JSON.stringify(counts.types), codes: JSON.stringify(counts.codes) };
  if (counts.controls) row.controls = JSON.stringify(counts.controls);
  return row;
}

/** How the coalescing writer adds summary increments (pure: a lost race applies again). */
export const summaryIncrements: Increments<CounterSummaryRow, SummaryCounts> = {
  combine: (a, b) => addInto(copy(a), b),
  apply: (current, delta) => toSummaryRow(addInto(current ? countsOf(current) : { types: {}, codes: {} }, delta)),
};

export const emptyControls = (): Controls => ({ held: 0, throttled: 0, inboundHeld: 0 });

function emptyTypes(): DaySummary['types'] {
  return Object.fromEntries(
    INTEGRATION_TYPES.map((t) => [t, { succeeded: 0, failed: 0, filtered: 0 }]),
  ) as DaySummary['types'];
}

/** Sums the shard rows of each day into one summary per day of `days` (in that order). */
export function sumSummaries(days: readonly string[], rows: ReadonlyArray<{ day: string; counts: SummaryCounts }>) {
  type Day = { types: DaySummary['types']; failed: Map<string, DaySummary['failed'][number]>; controls: Controls };
  const emptyDay = (): Day => ({ types: emptyTypes(), failed: new Map(), controls: emptyControls() });
  const byDay = new Map<string, Day>();
  for (const day of days) byDay.set(day, emptyDay());
  for (const { day, counts } of rows) {
    const into = byDay.get(day);
    if (!into) continue;
    if (counts.controls) {
      into.controls.held += counts.controls[0];
      into.controls.throttled += counts.controls[1];
      into.controls.inboundHeld += counts.controls[2];
    }
    for (const [type, [s, f, x]] of Object.entries(counts.types) as Array<
      [IntegrationType, [number, number, number]]
    >) {
      into.types[type].succeeded += s;
      into.types[type].failed += f;
      into.types[type].filtered += x;
    }
    for (const [code, byType] of Object.entries(counts.codes)) {
      for (const [type, n] of Object.entries(byType) as Array<[IntegrationType, number]>) {
        const key = `${code}\u0000${type}`;
        const entry = into.failed.get(key) ?? { code, type, count: 0 };
        entry.count += n;
        into.failed.set(key, entry);
      }
    }
  }
  return days.map((day): DaySummary => {
    const d = byDay.get(day) ?? emptyDay();
    return { day, types: d.types, failed: [...d.failed.values()], controls: d.controls };
  });
}

/** Day of a summary RowKey, for range reads. */
export function dayOfSummaryRowKey(rowKey: string): string {
  return rowKey.slice(0, 8);
}
