import type { FakeRequest } from './fake-server';

/**
 * What `GET /__fake/requests` shows: the recorded requests, filtered and with every credential
 * masked, the way a vendor's own audit log shows an API call (who, what, when — never the secret).
 * In-process tests read `FakeVendorServer.requests` unmasked, because they assert on exactly what
 * the hub sent; only the HTTP view, the one a person pastes into a terminal, is masked.
 */

/** Header, query and body field names that carry a credential in some vendor's API. */
const CREDENTIAL_NAME = /authorization|secret|password|passwd|api[-_]?key|integrationcode|token|cookie|signature/i;

export const MASK = '[masked]';

export interface RequestLogFilter {
  /** Only requests whose path starts with this (case-insensitive). */
  path?: string;
  method?: string;
  /** Only the newest N (after the other filters). */
  last?: number;
}

/** Reads the filter from the control request's query; a malformed value is an error string. */
export function parseRequestLogFilter(query: Record<string, string>): RequestLogFilter | string {
  const filter: RequestLogFilter = {};
  for (const name of Object.keys(query)) {
    if (!['path', 'method', 'last'].includes(name)) return `unknown query parameter ${name} (path, method, last)`;
  }
  if (query.path !== undefined) filter.path = query.path;
  if (query.method !== undefined) filter.method = query.method.toUpperCase();
  if (query.last !== undefined) {
    const last = Number(query.last);
    if (!Number.isInteger(last) || last < 1 || last > 1000) return 'last must be an integer from 1 to 1000';
    filter.last = last;
  }
  return filter;
}

function maskValue(name: string, value: string): string {
  return CREDENTIAL_NAME.test(name) ? MASK : value;
}

function maskRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name, maskValue(name, value)]));
}

function maskJson(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskJson(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([name, v]) => [
      name,
      CREDENTIAL_NAME.test(name) && v !== null && typeof v !== 'object' ? MASK : maskJson(v, depth + 1),
    ]),
  );
}

/** A form body (`grant_type=…&client_secret=…`) with credential fields masked; other text as is. */
function maskBody(request: FakeRequest, maskedJson: unknown): string {
  if (request.json !== undefined) return JSON.stringify(maskedJson);
  if (!request.body.includes('=')) return request.body;
  const form = new URLSearchParams(request.body);
  let masked = false;
  for (const name of [...form.keys()]) {
    if (CREDENTIAL_NAME.test(name)) {
      form.set(name, MASK);
      masked = true;
    }
  }
  return masked ? form.toString() : request.body;
}

export function maskRequest(request: FakeRequest): FakeRequest {
  const json = maskJson(request.json);
  return {
    ...request,
    headers: maskRecord(request.headers),
    query: maskRecord(request.query),
    json,
    body: maskBody(request, json),
  };
}

/** The filtered, masked view, oldest first. */
export function requestLogView(requests: readonly FakeRequest[], filter: RequestLogFilter): FakeRequest[] {
  const path = filter.path?.toLowerCase();
  let matching = requests.filter(
    (r) => (!path || r.path.toLowerCase().startsWith(path)) && (!filter.method || r.method === filter.method),
  );
  if (filter.last !== undefined) matching = matching.slice(-filter.last);
  return matching.map(maskRequest);
}
