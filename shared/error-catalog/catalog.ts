import { INTEGRATION_TYPES, type IntegrationType } from '../analytics/counters';
import { API_CODES } from './api-codes';
import type { RemediationSource, VendorNote } from './entry';
import { HTTP_CODES } from './http-codes';
import { PIPELINE_CODES } from './pipeline-codes';
import { VENDOR_NOTES } from './vendor-notes';

/**
 * The error catalog (docs/dashboard.md, "Error catalog"): for every code a transaction can fail
 * with — HTTP statuses, the hub's problem codes, pipeline error types, network codes and the
 * dashboard's numbered codes — a title, a meaning and what to do for each integration type.
 * A code the catalog does not hold resolves to its class (`4xx`, `5xx`), so a dashboard row
 * always has a remediation.
 */
export interface TypeRemediation {
  applicable: boolean;
  text: string;
}

export interface CatalogEntry {
  code: string;
  kind: 'http' | 'class' | 'platform';
  status: number | null;
  title: string;
  meaning: string;
  /** False for a dashboard code this hub has no equivalent of. */
  emitted: boolean;
  related: string[];
  remediation: Record<IntegrationType, TypeRemediation>;
  vendorNotes: VendorNote[];
}

function remediationOf(source: RemediationSource): TypeRemediation {
  return typeof source === 'string'
    ? { applicable: true, text: source }
    : { applicable: false, text: `Not applicable: ${source.na}` };
}

function kindOf(code: string): CatalogEntry['kind'] {
  if (/^[1-5]xx$/.test(code)) return 'class';
  return /^\d{3}$/.test(code) && !/^8\d\d$/.test(code) ? 'http' : 'platform';
}

/**
 * One entry per code. A code that is both an API answer and a pipeline outcome (`rate_limited`,
 * `internal_error`, `not_found`) keeps, per type, the first source that applies to that type.
 */
function build(): Map<string, CatalogEntry> {
  const entries = new Map<string, CatalogEntry>();
  for (const source of [...HTTP_CODES, ...PIPELINE_CODES, ...API_CODES]) {
    const existing = entries.get(source.code);
    const remediation = Object.fromEntries(
      INTEGRATION_TYPES.map((type) => {
        const mine = remediationOf(source.remediation[type]);
        const theirs = existing?.remediation[type];
        return [type, theirs && (theirs.applicable || !mine.applicable) ? theirs : mine];
      }),
    ) as Record<IntegrationType, TypeRemediation>;
    entries.set(source.code, {
      code: source.code,
      kind: kindOf(source.code),
      status: existing?.status ?? source.status,
      title: existing?.title ?? source.title,
      meaning: existing?.meaning ?? source.meaning,
      emitted: (existing?.emitted ?? true) && source.emitted !== false,
      related: [...new Set([...(existing?.related ?? []), ...(source.related ?? [])])],
      remediation,
      vendorNotes: [...(VENDOR_NOTES[source.code] ?? [])],
    });
  }
  return entries;
}

let catalog: Map<string, CatalogEntry> | undefined;

function entries(): Map<string, CatalogEntry> {
  catalog ??= build();
  return catalog;
}

export function catalogEntries(): CatalogEntry[] {
  return [...entries().values()];
}

/** The entry of a code exactly as listed, or undefined. */
export function findCatalogEntry(code: string): CatalogEntry | undefined {
  return entries().get(code);
}

/**
 * The class a code falls back to: a status' hundreds, a known problem code's status class, and
 * `5xx` for anything else (a failure nobody named is treated as the server side's).
 */
export function classOf(code: string): '3xx' | '4xx' | '5xx' {
  const status = /^\d{3}$/.test(code) ? Number(code) : findCatalogEntry(code)?.status;
  if (status !== undefined && status !== null) {
    if (status >= 300 && status < 400) return '3xx';
    if (status >= 400 && status < 500) return '4xx';
  }
  return '5xx';
}

/** The entry for a code, or its class's entry when the catalog does not list it. */
export function resolveCatalogEntry(code: string | number): { entry: CatalogEntry; fallback: boolean } {
  const exact = findCatalogEntry(String(code));
  if (exact) return { entry: exact, fallback: false };
  const cls = findCatalogEntry(classOf(String(code)));
  if (!cls) throw new Error(`error catalog: class entry for ${String(code)} missing`);
  return { entry: cls, fallback: true };
}

/** The short label the dashboard shows next to a code ("Not Found", "Service Unavailable" …). */
export function catalogLabel(code: string | number): string {
  return resolveCatalogEntry(code).entry.title;
}
