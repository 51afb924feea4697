import { describe, expect, it } from 'vitest';
import { INTEGRATION_TYPES } from '../../shared/analytics/counters';
import { catalogEntries, findCatalogEntry, resolveCatalogEntry } from '../../shared/error-catalog/catalog';
import { ERROR_CODES } from '../../shared/errors/codes';
import { ERROR_TYPES } from '../../shared/events/contract';
import { ERROR_TABLE } from '../../shared/http/error-table';
import type { Classification } from '../../shared/integrations/classify';
import { NETWORK_FAILURE_CODES } from '../../shared/outbound/network-failure';
import { VENDOR_IDS, type VendorErrorKind } from '../../shared/vendors/contract';

/** The HTTP statuses the dashboard names. */
const DASHBOARD_STATUSES = [308, 400, 401, 403, 404, 405, 406, 408, 409, 413, 429, 500, 502, 503, 504, 521, 523];
const DASHBOARD_PLATFORM = ['804', '811', '816', '844', '852', '882', '883', '884'];

/**
 * Every code a failure can be counted with. The records make the compiler list every member of
 * the unions, so a new vendor error kind or probe reason fails here until the catalog has it.
 */
const VENDOR_KINDS = {
  auth: true,
  forbidden: true,
  not_found: true,
  rate_limited: true,
  rejected: true,
  unavailable: true,
  timeout: true,
  network: true,
  bad_response: true,
  blocked: true,
} satisfies Record<VendorErrorKind, true>;
const PROBE_REASONS = {
  ...VENDOR_KINDS,
  expiring: true,
  missing_scopes: true,
  ok: true,
  undecryptable: true,
  internal: true,
} satisfies Record<Classification['reason'], true>;
/** What an outbound attempt counts when no status came back (shared/outbound/network-failure.ts). */
const SEND_CODES = NETWORK_FAILURE_CODES;

describe('error catalog', () => {
  it('has every dashboard status and platform code, each with remediation for every type', () => {
    for (const code of [...DASHBOARD_STATUSES.map(String), ...DASHBOARD_PLATFORM]) {
      expect(findCatalogEntry(code), code).toBeDefined();
    }
    for (const entry of catalogEntries()) {
      expect(entry.title, entry.code).not.toBe('');
      expect(entry.meaning, entry.code).not.toBe('');
      expect(Object.keys(entry.remediation).sort(), entry.code).toEqual([...INTEGRATION_TYPES].sort());
      for (const type of INTEGRATION_TYPES) {
        const r = entry.remediation[type];
        expect(r.text.length, `${entry.code} ${type}`).toBeGreaterThan(10);
        expect(r.text.startsWith('Not applicable'), `${entry.code} ${type}`).toBe(!r.applicable);
      }
    }
  });

  it('applies somewhere: every code the hub emits has at least one type it can occur for', () => {
    for (const entry of catalogEntries().filter((e) => e.emitted)) {
      expect(
        INTEGRATION_TYPES.some((t) => entry.remediation[t].applicable),
        entry.code,
      ).toBe(true);
    }
  });

  it('marks the dashboard codes with no equivalent here as not emitted, and names the ones that are', () => {
    expect(
      catalogEntries()
        .filter((e) => !e.emitted)
        .map((e) => e.code)
        .sort(),
    ).toEqual(['844', '852', '884']);
    expect(findCatalogEntry('882')?.related).toContain('tenant_rate_exceeded');
    expect(findCatalogEntry('883')?.related).toContain('tenant_quota_exceeded');
    expect(findCatalogEntry('804')?.related).toEqual(['crashed', 'internal_error']);
  });

  it('maps every failure path to an entry of its own: problem codes, error types, vendor kinds, probe reasons, send codes', () => {
    const emitted = [
      ...ERROR_CODES,
      ...ERROR_TYPES,
      ...Object.keys(VENDOR_KINDS),
      ...Object.keys(PROBE_REASONS).filter((r) => r !== 'ok'),
      ...SEND_CODES,
    ];
    const missing = emitted.filter((code) => resolveCatalogEntry(code).fallback);
    expect(missing).toEqual([]);
    // A problem code's entry carries the status it answers with.
    for (const code of ERROR_CODES) expect(findCatalogEntry(code)?.status, code).toBe(ERROR_TABLE[code].status);
  });

  it('explains every status a refused request can get, at least by its class', () => {
    for (const { status } of Object.values(ERROR_TABLE)) {
      const { entry } = resolveCatalogEntry(status);
      expect(entry.code === String(status) || entry.code === `${String(status)[0]}xx`, String(status)).toBe(true);
    }
  });

  it('falls back to the class of a code it does not list', () => {
    const cases: Array<[string | number, string]> = [
      [418, '4xx'],
      ['451', '4xx'],
      [599, '5xx'],
      ['520', '5xx'],
      [302, '3xx'],
      ['no_such_code', '5xx'],
    ];
    for (const [code, cls] of cases) {
      expect(resolveCatalogEntry(code), String(code)).toMatchObject({ fallback: true, entry: { code: cls } });
    }
    expect(resolveCatalogEntry(404)).toMatchObject({ fallback: false, entry: { code: '404', title: 'Not Found' } });
    expect(resolveCatalogEntry('503').entry.title).toBe('Service Unavailable');
    expect(resolveCatalogEntry('500').entry.title).toBe('Internal Server Error');
  });

  it('refines codes per vendor where the vendor has a known quirk', () => {
    const notes = (code: string) => findCatalogEntry(code)?.vendorNotes.map((n) => n.vendor) ?? [];
    expect(notes('401')).toEqual(expect.arrayContaining(['autotask', 'datto-rmm', 'pax8']));
    expect(notes('403')).toEqual(expect.arrayContaining(['datto-rmm', 'halopsa', 'microsoft365']));
    expect(notes('404')).toContain('itglue');
    expect(notes('429')).toContain('datto-rmm');
    for (const entry of catalogEntries()) {
      for (const note of entry.vendorNotes) expect(VENDOR_IDS as readonly string[]).toContain(note.vendor);
    }
  });
});
