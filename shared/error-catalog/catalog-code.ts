import { resolveCatalogEntry } from './catalog';

/**
 * The key into GET /api/v1/error-catalog/{code} that explains `code`: the code itself when the
 * catalog lists it, else its class (`4xx`, `5xx`). Every failure record, delivery attempt, probe
 * error and dashboard row carries one (docs/dashboard.md, "Error catalog").
 */
export function catalogCodeOf(code: string | number): string {
  return resolveCatalogEntry(code).entry.code;
}
