import type { SyncErrorView, SyncWarningView } from './api-schemas';
import { parseJson } from './runs';
import type { SyncRunRow } from './tables';

/** One run as the metrics see it: the columns they read, parsed. */
export interface RunFacts {
  vendor: string;
  status: SyncRunRow['status'];
  startedAt: string;
  finishedAt?: string | undefined;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: SyncErrorView[];
  warnings: SyncWarningView[];
}

export function runFacts(row: SyncRunRow): RunFacts {
  return {
    vendor: row.vendor,
    status: row.status,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
    failed: row.failed,
    errors: parseJson<SyncErrorView[]>(row.errors, []),
    warnings: parseJson<SyncWarningView[]>(row.warnings, []),
  };
}

/** A finished run's duration; undefined while running or when its instants do not parse. */
export function runDurationMs(run: Pick<RunFacts, 'status' | 'startedAt' | 'finishedAt'>): number | undefined {
  if (run.status === 'running' || run.finishedAt === undefined) return undefined;
  const ms = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export function warningCount(warnings: readonly SyncWarningView[]): number {
  return warnings.reduce((sum, w) => sum + w.count, 0);
}
