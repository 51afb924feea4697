import { z } from 'zod';

/** `base` + `path` with exactly one slash between them; `query` values are encoded. */
export function joinUrl(base: string, path: string, query: Record<string, string> = {}): string {
  const url = `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  const search = new URLSearchParams(query).toString();
  return search ? `${url}${url.includes('?') ? '&' : '?'}${search}` : url;
}

/**
 * The optional `baseUrl` override every connector takes (sandboxes, regional hosts, tests and the
 * fakes). http is accepted here; the network guard refuses it outside local development.
 */
export const baseUrlField = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((url) => url.replace(/\/+$/, ''));

/** An ISO 8601 date or date-time, kept as given. */
export const isoDateField = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

export const BASE_URL_FIELD = {
  name: 'baseUrl',
  label: 'Base URL override',
  secret: false,
  required: false,
  hint: 'Leave blank for the vendor default. For sandboxes, regional hosts and local fakes; must be https outside local development.',
} as const;
