import { z } from 'zod';
import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { escapeKey, tenantPartition, timeBucket, unescapeKey } from '../storage/keys';
import { type Counters, INTEGRATION_TYPES, type IntegrationType } from './counters';
import type { FailureGroups } from './failure-groups';
import type { FailureGroupRow } from './tables';

/**
 * One transaction of one integration type (docs/dashboard.md, "What one transaction is"): an
 * inbound delivery, an outbound attempt, a connector's vendor call, a SOP tool step or a publish.
 * It is counted as outcome `succeeded` or `failed` with its code (HTTP status or platform code, a
 * key of the error catalog), and a failure also refreshes its failure group, the bounded row the
 * dashboard's failures table reads instead of scanning events.
 */
export const TRANSACTION_OUTCOMES = ['succeeded', 'failed', 'filtered'] as const;

/**
 * An inbound event an ingest filter dropped (docs/pipeline.md, "Ingest filters"): counted as its
 * own outcome `filtered` — neither a success nor a failure, and no failure group.
 */
export interface FilteredTransaction {
  tenantId: string;
  type: IntegrationType;
  integrationId: string;
}

export function countFiltered(deps: Pick<TransactionDeps, 'counters'>, tx: FilteredTransaction): Promise<void> {
  return deps.counters.increment({
    tenantId: tx.tenantId,
    integrationType: tx.type,
    integrationId: tx.integrationId,
    outcome: 'filtered',
    code: '-',
  });
}

export type ExampleKind = 'event' | 'delivery' | 'probe' | 'agent_run' | 'publish';

export interface TransactionExample {
  kind: ExampleKind;
  id: string;
}

export interface Transaction {
  tenantId: string;
  type: IntegrationType;
  /** Webhook, subscription, integration or SOP id; `-` when it belongs to none (a publish). */
  integrationId: string;
  ok: boolean;
  /** HTTP status or platform code; `-` for a success without one. */
  code: string | number;
  /** For failures: what the dashboard shows about them. */
  integrationName?: string | undefined;
  description?: string | undefined;
  /** The stage or tool where it happened. */
  service?: string | undefined;
  /** The SOP (flow) it happened in. */
  flow?: string | undefined;
  example?: TransactionExample | undefined;
}

export interface TransactionDeps {
  counters: Pick<Counters, 'increment'>;
  groups: Pick<FailureGroups, 'update'>;
}

const MAX_LISTED = 10;
const MAX_EXAMPLES = 5;
const DESCRIPTION_CHARS = 500;

const exampleSchema = z.object({ kind: z.string(), id: z.string(), at: z.string() });
export type StoredExample = z.infer<typeof exampleSchema>;

export function failureGroupRowKey(type: IntegrationType, integrationId: string, code: string): string {
  return [type, integrationId, code].map(escapeKey).join('|');
}

export function parseFailureGroupRowKey(
  rowKey: string,
): { type: IntegrationType; integrationId: string; code: string } | undefined {
  const parts = rowKey.split('|').map(unescapeKey);
  const [type, integrationId, code] = parts;
  if (parts.length !== 3 || !type || !integrationId || !code) return undefined;
  if (!(INTEGRATION_TYPES as readonly string[]).includes(type)) return undefined;
  return { type: type as IntegrationType, integrationId, code };
}

export function failureGroupPartition(tenantId: string): string {
  return tenantPartition(tenantId, 'failures');
}

function readList<T>(json: string, schema: z.ZodType<T>): T[] {
  try {
    const parsed = z.array(schema).safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Days of failures a group row keeps (the longest dashboard period). */
export const GROUP_DAYS = 90;
const DAY_MS = 86_400_000;
const dayCountsSchema = z.record(z.string().regex(/^\d{8}$/), z.number().int().nonnegative());

/** A group's failures per day (`YYYYMMDD`), as stored in its `days` column; empty when unreadable. */
export function dayCountsOf(json: string | undefined): Record<string, number> {
  if (json === undefined) return {};
  try {
    const parsed = dayCountsSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** `counts` with one more failure on the day of `atMs` and the days before the window dropped. */
export function addFailureDay(counts: Record<string, number>, atMs: number, by = 1): Record<string, number> {
  const day = timeBucket(atMs, 'day');
  const oldest = timeBucket(atMs - (GROUP_DAYS - 1) * DAY_MS, 'day');
  const out: Record<string, number> = {};
  for (const [d, n] of Object.entries(counts)) if (d >= oldest) out[d] = n;
  out[day] = (out[day] ?? 0) + by;
  return out;
}

export function listOf(json: string): string[] {
  return readList(json, z.string());
}

export function examplesOf(json: string): StoredExample[] {
  return readList(json, exampleSchema);
}

/** `value` first, then the others, at most `max` and each once. */
function newestFirst<T>(items: readonly T[], value: T | undefined, same: (a: T, b: T) => boolean, max: number): T[] {
  if (value === undefined) return items.slice(0, max);
  return [value, ...items.filter((i) => !same(i, value))].slice(0, max);
}

/**
 * The group row after one more failure (pure: `update` may call it again after a lost race),
 * including the failure in its day's count, which the dashboard's failures table sums.
 */
export function nextGroupRow(current: FailureGroupRow | undefined, tx: Transaction, at: string): FailureGroupRow {
  const services = newestFirst(listOf(current?.services ?? '[]'), tx.service, (a, b) => a === b, MAX_LISTED);
  const flows = newestFirst(listOf(current?.flows ?? '[]'), tx.flow, (a, b) => a === b, MAX_LISTED);
  const example = tx.example ? { ...tx.example, at } : undefined;
  const examples = newestFirst(
    examplesOf(current?.examples ?? '[]'),
    example,
    (a, b) => a.kind === b.kind && a.id === b.id,
    MAX_EXAMPLES,
  );
  const name = tx.integrationName ?? current?.integrationName;
  return {
    ...(name !== undefined ? { integrationName: name } : {}),
    description: (tx.description ?? current?.description ?? '').slice(0, DESCRIPTION_CHARS),
    services: JSON.stringify(services),
    flows: JSON.stringify(flows),
    examples: JSON.stringify(examples),
    firstSeen: current?.firstSeen ?? at,
    lastSeen: current && current.lastSeen > at ? current.lastSeen : at,
    days: JSON.stringify(addFailureDay(dayCountsOf(current?.days), Date.parse(at))),
  };
}

/**
 * Count one transaction. Bookkeeping never fails the work it counts: errors are logged and
 * swallowed (the counters already do so for their own writes).
 */
export async function countTransaction(deps: TransactionDeps, tx: Transaction): Promise<void> {
  const code = String(tx.code);
  const outcome = tx.ok ? 'succeeded' : 'failed';
  const writes: Promise<unknown>[] = [
    deps.counters.increment({
      tenantId: tx.tenantId,
      integrationType: tx.type,
      integrationId: tx.integrationId,
      outcome,
      code,
    }),
  ];
  if (!tx.ok) writes.push(noteFailure(deps, tx));
  await Promise.all(writes);
}

/**
 * Refresh the failure group of a failure whose counter the caller writes itself (outbound attempts
 * count through their own deps). Never throws.
 */
export async function noteFailure(deps: Pick<TransactionDeps, 'groups'>, tx: Transaction): Promise<void> {
  const at = new Date(nowMs()).toISOString();
  const rowKey = failureGroupRowKey(tx.type, tx.integrationId, String(tx.code));
  await deps.groups
    .update(failureGroupPartition(tx.tenantId), rowKey, (current) => nextGroupRow(current, tx, at))
    .catch((error: unknown) =>
      logger.warn('failure group not updated', { tenantId: tx.tenantId, type: tx.type, ...errorFields(error) }),
    );
}
