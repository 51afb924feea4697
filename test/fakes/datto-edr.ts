import { secretsEqual } from '../../shared/crypto/constant-time';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';

/**
 * Datto EDR (Infocyte) fake: raw-token `Authorization`, LoopBack-style error bodies, and the
 * Alerts / Incidents lists with LoopBack's `filter` query. Datto EDR publishes no machine-readable
 * description, so the fake checks by hand what docs/vendor-fidelity.md records as the evidence.
 */
export const FAKE_DATTO_EDR_CREDENTIALS = { apiToken: 'fakeEdrToken0123456789abcdefghijklmnopqrstuvwxyz' };
/** The expiry date the fake's integrations are created with. */
export const FAKE_DATTO_EDR_TOKEN_EXPIRES_AT = '2099-12-31';

/** An alert or incident record as the API returns it (test data). */
export type FakeEdrRecord = Record<string, unknown>;

/** The filter keys LoopBack knows; anything else in `filter` is refused. */
const FILTER_KEYS = new Set(['where', 'fields', 'include', 'order', 'limit', 'skip', 'offset']);
/** The largest page Infocyte's own client asks for (its `resultlimit`). */
const MAX_LIMIT = 1000;

export class DattoEdrFake extends FakeVendorServer {
  alerts: FakeEdrRecord[] = [
    {
      id: 'edr-alert-1',
      name: 'Suspicious PowerShell',
      severity: 'high',
      hostname: 'LAPTOP-07',
      archived: false,
      createdOn: '2026-05-01T09:00:00Z',
    },
    {
      id: 'edr-alert-2',
      name: 'Ransomware canary touched',
      severity: 'critical',
      hostname: 'FILE01',
      archived: false,
      createdOn: '2026-05-01T10:00:00Z',
    },
    {
      id: 'edr-alert-0',
      name: 'Old',
      severity: 'low',
      hostname: 'FILE01',
      archived: true,
      createdOn: '2026-01-01T00:00:00Z',
    },
  ];
  incidents: FakeEdrRecord[] = [
    {
      id: 'edr-incident-1',
      name: 'Ransomware on FILE01',
      severity: 'critical',
      status: 'open',
      createdOn: '2026-05-01T10:05:00Z',
    },
    { id: 'edr-incident-0', name: 'Adware', severity: 'low', status: 'closed', createdOn: '2026-03-01T10:05:00Z' },
  ];

  constructor() {
    super('datto-edr', {
      errorBody: (status, message) => ({
        error: { statusCode: status, name: 'Error', message },
      }),
    });
    // Isolation, as the tool calls it: `{ids: [...], isolated: true}` (tests read `received(...)`).
    this.route('POST', '/api/Agents/toggleIsolation', (req) => {
      if (!secretsEqual(req.headers.authorization ?? '', FAKE_DATTO_EDR_CREDENTIALS.apiToken)) {
        return { status: 401, json: { error: { statusCode: 401, name: 'Error', message: 'Authorization Required' } } };
      }
      const body = (req.json ?? {}) as { ids?: unknown; isolated?: unknown };
      if (!Array.isArray(body.ids) || typeof body.isolated !== 'boolean') {
        // LoopBack (the framework the EDR API is built on) refuses an invalid model with 422 ValidationError.
        this.refusals.push({
          method: req.method,
          path: req.path,
          violations: [{ at: 'body', message: 'ids (array) and isolated (boolean) are required' }],
        });
        return {
          status: 422,
          json: { error: { statusCode: 422, name: 'ValidationError', message: 'ids and isolated are required' } },
        };
      }
      return { json: { count: body.ids.length } };
    });
    this.route('GET', '/api/Alerts', (req) => this.list(req, this.alerts));
    this.route('GET', '/api/Incidents', (req) => this.list(req, this.incidents));
    this.route('GET', '/api/users/me', (req) => {
      if (!secretsEqual(req.headers.authorization ?? '', FAKE_DATTO_EDR_CREDENTIALS.apiToken)) {
        return {
          status: 401,
          json: {
            error: {
              statusCode: 401,
              name: 'Error',
              message: 'Authorization Required',
              code: 'AUTHORIZATION_REQUIRED',
            },
          },
        };
      }
      return { json: { id: 'fake-user-1', email: 'edr-api@fake-msp.example', username: 'edr-api', roles: ['admin'] } };
    });
  }

  /**
   * A LoopBack list: `filter` is JSON with known keys only, `limit` 1..1000 and `skip` ≥ 0
   * integers, `where` an object. A broken filter is LoopBack's 400 (recorded as a refusal).
   */
  private list(req: FakeRequest, records: FakeEdrRecord[]): FakeReply {
    if (!secretsEqual(req.headers.authorization ?? '', FAKE_DATTO_EDR_CREDENTIALS.apiToken)) {
      return { status: 401, json: { error: { statusCode: 401, name: 'Error', message: 'Authorization Required' } } };
    }
    const problem = filterProblem(req.query.filter);
    if (typeof problem === 'string') {
      this.refusals.push({
        method: req.method,
        path: req.path,
        violations: [{ at: 'query.filter', message: problem }],
      });
      return { status: 400, json: { error: { statusCode: 400, name: 'Error', message: problem } } };
    }
    const { where = {}, order, limit = MAX_LIMIT, skip = 0 } = problem;
    const found = sortedBy(
      records.filter((r) => matches(r, where)),
      order,
    );
    return { json: found.slice(skip, skip + limit) };
  }
}

interface LoopBackFilter {
  where?: Record<string, unknown>;
  order?: unknown;
  limit?: number;
  skip?: number;
}

function filterProblem(raw: string | undefined): LoopBackFilter | string {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'The filter parameter is not valid JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'The filter must be an object';
  const filter = parsed as Record<string, unknown>;
  const unknown = Object.keys(filter).filter((k) => !FILTER_KEYS.has(k));
  if (unknown.length > 0) return `Invalid filter keys: ${unknown.join(', ')}`;
  for (const key of ['limit', 'skip'] as const) {
    const value = filter[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      return `The ${key} must be a non-negative integer`;
  }
  if (typeof filter.limit === 'number' && (filter.limit < 1 || filter.limit > MAX_LIMIT)) {
    return `The limit must be between 1 and ${MAX_LIMIT}`;
  }
  const where = filter.where;
  if (where !== undefined && (typeof where !== 'object' || where === null || Array.isArray(where))) {
    return 'The where filter must be an object';
  }
  return filter as LoopBackFilter;
}

/** Equality `where` of plain values (what the hub sends); other operators are not played. */
function matches(record: FakeEdrRecord, where: Record<string, unknown>): boolean {
  return Object.entries(where).every(([key, value]) => record[key] === value);
}

function sortedBy(records: FakeEdrRecord[], order: unknown): FakeEdrRecord[] {
  if (typeof order !== 'string') return records;
  const [field = 'id', direction = 'ASC'] = order.split(' ');
  const sign = direction.toUpperCase() === 'DESC' ? -1 : 1;
  return [...records].sort((a, b) => sign * String(a[field] ?? '').localeCompare(String(b[field] ?? '')));
}

export const dattoEdrFake: FakeVendor = {
  create: () => new DattoEdrFake(),
  credentials: FAKE_DATTO_EDR_CREDENTIALS,
  // A new integration must say when its token expires (docs/integrations.md): far away here.
  config: (baseUrl) => ({ baseUrl, tokenExpiresAt: FAKE_DATTO_EDR_TOKEN_EXPIRES_AT }),
};
