import { describe, expect, it } from 'vitest';
import { catalogParams } from '../../shared/error-catalog/api-schemas';
import { catalogCodeOf } from '../../shared/error-catalog/catalog-code';
import { routes } from '../../shared/error-catalog/routes';
import { ERROR_TYPES } from '../../shared/events/contract';
import { failureCode } from '../../shared/failures/analysis';
import type { RejectionCode } from '../../shared/inbound/verify';
import type { Classification } from '../../shared/integrations/classify';
import { attemptCodes, NETWORK_FAILURE_CODES } from '../../shared/outbound/network-failure';
import { probeCatalogCode } from '../../shared/probes/status';

/**
 * Every code a failure record, a delivery attempt, a probe error or a dashboard row can carry, and
 * the catalogCode each gets: GET /api/v1/error-catalog/{catalogCode} must answer with that very
 * entry (never a further fallback), and a code the catalog does not list must land on its class.
 * The records make the compiler list every member of the unions, so a new refusal code or probe
 * reason fails here until it has an entry (docs/dashboard.md, "Error catalog").
 */
const REJECTIONS = {
  signature_missing: true,
  signature_invalid: true,
  signature_malformed: true,
  timestamp_out_of_range: true,
  client_state_mismatch: true,
} satisfies Record<RejectionCode, true>;
const PROBE_REASONS = {
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
  expiring: true,
  ok: true,
  undecryptable: true,
  internal: true,
  missing_scopes: true,
} satisfies Record<Classification['reason'], true>;
/** Every status a receiver or vendor can answer with. */
const STATUSES = Array.from({ length: 500 }, (_, i) => 100 + i);

type Lookup = { code: string; requested: string; fallback: boolean };

/** The route's own handler, params parsed by its own schema: what GET /api/v1/error-catalog/{code} answers. */
async function lookUp(code: string): Promise<Lookup> {
  const params = catalogParams.parse({ code });
  const input = { params } as unknown as Parameters<typeof routes.getErrorCatalogEntry.handle>[0];
  const result = await routes.getErrorCatalogEntry.handle(input);
  expect(result.status).toBe(200);
  return (result as { body: Lookup }).body;
}

/** `code` resolves: the catalogCode is an entry of its own, and it is `code` or `code`'s class. */
async function expectResolves(path: string, code: string, catalogCode: string): Promise<void> {
  const direct = await lookUp(catalogCode);
  expect(direct, `${path}: ${code} → ${catalogCode}`).toMatchObject({ code: catalogCode, fallback: false });
  const viaCode = await lookUp(code);
  expect(viaCode.code, `${path}: ${code}`).toBe(catalogCode);
  if (viaCode.fallback) expect(catalogCode, `${path}: ${code} falls back to a class`).toMatch(/^[1-5]xx$/);
}

describe('every failure carries a catalog code the error catalog answers for', () => {
  it('failure records: every error type and every receive refusal, each with an entry of its own', async () => {
    for (const errorType of ERROR_TYPES) {
      const code = failureCode('event', errorType, {});
      await expectResolves('failure record', code, catalogCodeOf(code));
      expect(catalogCodeOf(code)).toBe(errorType);
    }
    for (const refusal of [...Object.keys(REJECTIONS), 'malformed_json']) {
      const code = failureCode('rejection', 'signature_invalid', { code: refusal });
      expect(code).toBe(refusal);
      await expectResolves('rejection', code, catalogCodeOf(code));
      expect(catalogCodeOf(code)).toBe(refusal);
    }
  });

  it('delivery attempts: every network failure code by name, every HTTP status at least by its class', async () => {
    for (const failure of NETWORK_FAILURE_CODES) {
      const { code, catalogCode } = attemptCodes({ code: failure });
      expect(catalogCode).toBe(failure);
      await expectResolves('attempt', code, failure);
    }
    for (const status of STATUSES) {
      const { code, catalogCode } = attemptCodes({ statusCode: status, code: String(status) });
      if (status >= 200 && status < 300) expect(catalogCode, 'a success needs no explaining').toBeNull();
      else await expectResolves('attempt', code, catalogCode ?? '');
    }
    // An attempt row written before attempts stored their code.
    expect(attemptCodes({ statusCode: 503 })).toEqual({ code: '503', catalogCode: '503' });
    expect(attemptCodes({ statusCode: 204 })).toEqual({ code: '204', catalogCode: null });
    expect(attemptCodes({})).toEqual({ code: 'network', catalogCode: 'network' });
  });

  it('probe errors: every reason by name; a vendor error status at least by its class', async () => {
    for (const reason of Object.keys(PROBE_REASONS).filter((r) => r !== 'ok')) {
      const catalogCode = probeCatalogCode(undefined, reason);
      expect(catalogCode, reason).toBe(reason);
      await expectResolves('probe', reason, catalogCode);
      // A credential that expires still answers 200: the reason explains it, not the status.
      if (reason === 'expiring') expect(probeCatalogCode(200, reason)).toBe('expiring');
    }
    for (const status of STATUSES.filter((s) => s >= 400)) {
      await expectResolves('probe', String(status), probeCatalogCode(status, 'unavailable'));
    }
  });

  it('a code nobody listed falls back to its class', async () => {
    expect(catalogCodeOf(418)).toBe('4xx');
    expect(catalogCodeOf('599')).toBe('5xx');
    expect(catalogCodeOf('no_such_code')).toBe('5xx');
    expect(await lookUp('no_such_code')).toMatchObject({ code: '5xx', requested: 'no_such_code', fallback: true });
  });
});
