import { randomBytes } from 'node:crypto';
import { secretsEqual } from '../../shared/crypto/constant-time';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';
import { loadSlice } from './core/spec-check';

/**
 * Datto RMM fake: the password-grant token endpoint under the public client, bearer-checked v2
 * routes, `system/request_rate` reporting the calls this fake has seen in its window, and the
 * inventory and open-alert reads with Datto's `page`/`max` paging. Requests under /api are held to
 * test/fixtures/vendor-specs/datto-rmm before any route runs.
 */
export const FAKE_DATTO_RMM_CREDENTIALS = {
  apiKey: 'FAKERMMAPIKEY0001',
  apiSecret: 'fake-datto-rmm-secret',
};

/** A site, device or alert record as the API returns it (test data; shapes from the spec slice). */
export type FakeRmmRecord = Record<string, unknown>;

/** The API's largest page (`max` above it is answered with 250). */
const MAX_PAGE = 250;

const contains = (value: unknown, part: string | undefined) =>
  part === undefined || (typeof value === 'string' && value.toLowerCase().includes(part.toLowerCase()));

const PUBLIC_CLIENT = `Basic ${Buffer.from('public-client:public').toString('base64')}`;

export class DattoRmmFake extends FakeVendorServer {
  /** `expires_in` of issued tokens. */
  tokenLifetimeSeconds = 360_000;
  accountRateLimit = 600;
  /** The account every key of this fake belongs to (`request_rate` and `account` report it). */
  accountUid = 'fake-account-1';
  private tokens = new Set<string>();
  /** Inventory the reads page through (tests replace or extend these). */
  sites: FakeRmmRecord[] = [
    { id: 1, uid: 'site-1', accountUid: 'fake-account-1', name: 'Fake Customer Ltd', onDemand: false },
    { id: 2, uid: 'site-2', accountUid: 'fake-account-1', name: 'Other Customer plc', onDemand: false },
  ];
  devices: FakeRmmRecord[] = [
    {
      id: 11,
      uid: 'device-1',
      siteUid: 'site-1',
      siteName: 'Fake Customer Ltd',
      hostname: 'FILE01',
      operatingSystem: 'Windows Server 2022',
      online: true,
      lastSeen: '2026-05-01T08:00:00Z',
      rebootRequired: false,
      antivirus: { antivirusProduct: 'Datto AV', antivirusStatus: 'RunningAndUpToDate' },
      patchManagement: { patchStatus: 'FullyPatched', patchesApprovedPending: 0 },
    },
    {
      id: 12,
      uid: 'device-2',
      siteUid: 'site-1',
      siteName: 'Fake Customer Ltd',
      hostname: 'LAPTOP-07',
      operatingSystem: 'Windows 11',
      online: false,
      lastSeen: '2026-04-28T17:30:00Z',
      rebootRequired: true,
      antivirus: { antivirusProduct: 'Datto AV', antivirusStatus: 'RunningAndNotUpToDate' },
      patchManagement: { patchStatus: 'RebootRequired', patchesApprovedPending: 3 },
    },
  ];
  /** Open alerts; `alertSourceInfo` says whose. */
  alerts: FakeRmmRecord[] = [
    {
      alertUid: 'alert-1',
      priority: 'Critical',
      resolved: false,
      muted: false,
      alertSourceInfo: {
        deviceUid: 'device-2',
        deviceName: 'LAPTOP-07',
        siteUid: 'site-1',
        siteName: 'Fake Customer Ltd',
      },
    },
    {
      alertUid: 'alert-2',
      priority: 'Moderate',
      resolved: false,
      muted: true,
      alertSourceInfo: {
        deviceUid: 'device-1',
        deviceName: 'FILE01',
        siteUid: 'site-1',
        siteName: 'Fake Customer Ltd',
      },
    },
  ];

  constructor() {
    super('datto-rmm', {
      errorBody: (status, message) => ({
        error: status === 401 ? 'unauthorized' : 'error',
        error_description: message,
      }),
      // Requests under /api break the Datto RMM API description: 400 with the API's `{message}`.
      spec: {
        slice: loadSlice('datto-rmm'),
        prefix: '/api',
        refuse: (violations) => ({
          status: 400,
          json: { error: 'Bad Request', message: violations.map((v) => `${v.at} ${v.message}`).join('; ') },
        }),
      },
    });
    this.route('POST', '/auth/oauth/token', (req) => this.token(req));
    this.route('GET', '/api/v2/system/request_rate', (req) =>
      this.bearer(req, () => ({
        json: {
          slidingTimeWindowSizeSeconds: 60,
          accountUid: this.accountUid,
          accountCount: this.count('GET', /^\/api\/v2\//),
          accountRateLimit: this.accountRateLimit,
          accountCutOffRatio: 0.9,
          accountWriteRateLimit: 600,
          accountWriteCount: this.count('PUT', /^\/api\/v2\//) + this.count('POST', /^\/api\/v2\//),
          operationWriteStatus: { limit: 100, count: 0 },
        },
      })),
    );
    this.route('PUT', '/api/v2/device/:deviceUid/quickjob', (req) =>
      this.bearer(req, () => {
        const body = (req.json ?? {}) as { jobName?: unknown; jobComponent?: { componentUid?: unknown } };
        if (typeof body.jobName !== 'string' || typeof body.jobComponent?.componentUid !== 'string') {
          return { status: 400, json: { message: 'jobName and jobComponent.componentUid are required' } };
        }
        return {
          json: { job: { id: 77, uid: `job-${req.params.deviceUid}`, name: body.jobName, status: 'active' } },
        };
      }),
    );
    // Lists: `page` from 0, `max` (the API answers at most 250), `pageDetails.nextPageUrl` while more.
    this.route('GET', '/api/v2/account/sites', (req) =>
      this.bearer(req, () =>
        this.page(
          req,
          'sites',
          this.sites.filter((s) => contains(s.name, req.query.siteName)),
        ),
      ),
    );
    this.route('GET', '/api/v2/account/devices', (req) =>
      this.bearer(req, () =>
        this.page(
          req,
          'devices',
          this.devices.filter((d) => contains(d.hostname, req.query.hostname)),
        ),
      ),
    );
    this.route('GET', '/api/v2/site/:siteUid/devices', (req) =>
      this.bearer(req, () => {
        if (!this.sites.some((s) => s.uid === req.params.siteUid))
          return { status: 404, json: { message: 'Site not found' } };
        return this.page(
          req,
          'devices',
          this.devices.filter((d) => d.siteUid === req.params.siteUid),
        );
      }),
    );
    // One site, and its update (entity sync): the fields a `SiteRequest` gives are set (the spec says
    // nothing of fields left out, so the fake keeps them; the hub sends them back anyway).
    this.route('GET', '/api/v2/site/:siteUid', (req) =>
      this.bearer(req, () => {
        const site = this.sites.find((s) => s.uid === req.params.siteUid);
        return site ? { json: site } : { status: 404, json: { message: 'Site not found' } };
      }),
    );
    this.route('POST', '/api/v2/site/:siteUid', (req) =>
      this.bearer(req, () => {
        const site = this.sites.find((s) => s.uid === req.params.siteUid);
        if (!site) return { status: 404, json: { message: 'Site not found' } };
        const body = (req.json ?? {}) as Record<string, unknown>;
        for (const field of ['name', 'description', 'notes', 'onDemand', 'splashtopAutoInstall'] as const) {
          if (field in body) site[field] = body[field];
        }
        return { json: site };
      }),
    );
    this.route('GET', '/api/v2/device/:deviceUid', (req) =>
      this.bearer(req, () => {
        const device = this.devices.find((d) => d.uid === req.params.deviceUid);
        return device ? { json: device } : { status: 404, json: { message: 'Device not found' } };
      }),
    );
    this.route('GET', '/api/v2/account/alerts/open', (req) =>
      this.bearer(req, () =>
        this.page(
          req,
          'alerts',
          this.openAlerts(req, () => true),
        ),
      ),
    );
    this.route('GET', '/api/v2/site/:siteUid/alerts/open', (req) =>
      this.bearer(req, () =>
        this.page(
          req,
          'alerts',
          this.openAlerts(req, (src) => src.siteUid === req.params.siteUid),
        ),
      ),
    );
    this.route('GET', '/api/v2/device/:deviceUid/alerts/open', (req) =>
      this.bearer(req, () => {
        if (!this.devices.some((d) => d.uid === req.params.deviceUid)) {
          return { status: 404, json: { message: 'Device not found' } };
        }
        return this.page(
          req,
          'alerts',
          this.openAlerts(req, (src) => src.deviceUid === req.params.deviceUid),
        );
      }),
    );
    this.route('GET', '/api/v2/account', (req) =>
      this.bearer(req, () => ({ json: { id: 1, uid: this.accountUid, name: 'Fake MSP', currency: 'USD' } })),
    );
  }

  /**
   * Datto blocks the caller's address after repeated 429s: every request, the token endpoint
   * included, answers 403 with Retry-After until the block lifts (`times` requests here).
   */
  blockAddress(retryAfterSeconds: number, times?: number): void {
    this.injectFault(
      {
        kind: 'status',
        status: 403,
        headers: { 'Retry-After': String(retryAfterSeconds) },
        body: { error: 'Forbidden', message: 'Too many requests: this address is temporarily blocked' },
      },
      times !== undefined ? { times } : {},
    );
  }

  /** Every issued token stops working (as after a key rotation). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  private openAlerts(req: FakeRequest, whose: (source: FakeRmmRecord) => boolean): FakeRmmRecord[] {
    const muted = req.query.muted === undefined ? undefined : req.query.muted === 'true';
    return this.alerts.filter(
      (a) =>
        a.resolved !== true &&
        (muted === undefined || a.muted === muted) &&
        whose((a.alertSourceInfo ?? {}) as FakeRmmRecord),
    );
  }

  /** One page as Datto answers it: `{pageDetails: {count, totalCount, prevPageUrl, nextPageUrl}, <key>: [...]}`. */
  private page(req: FakeRequest, key: string, all: FakeRmmRecord[]): FakeReply {
    const page = Number(req.query.page ?? 0);
    const max = Math.min(Number(req.query.max ?? MAX_PAGE), MAX_PAGE);
    const items = all.slice(page * max, page * max + max);
    const link = (n: number) => `${this.baseUrl}${req.path}?max=${max}&page=${n}`;
    return {
      json: {
        pageDetails: {
          count: items.length,
          totalCount: all.length,
          prevPageUrl: page > 0 ? link(page - 1) : null,
          nextPageUrl: (page + 1) * max < all.length ? link(page + 1) : null,
        },
        [key]: items,
      },
    };
  }

  private token(req: FakeRequest): FakeReply {
    if (req.headers.authorization !== PUBLIC_CLIENT) {
      return {
        status: 401,
        json: { error: 'unauthorized', error_description: 'Full authentication is required to access this resource' },
      };
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 415, json: { error: 'invalid_request', error_description: 'Content type not supported' } };
    }
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'password') {
      return { status: 400, json: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' } };
    }
    const good =
      form.get('username') === FAKE_DATTO_RMM_CREDENTIALS.apiKey &&
      secretsEqual(form.get('password') ?? '', FAKE_DATTO_RMM_CREDENTIALS.apiSecret);
    if (!good) return { status: 400, json: { error: 'invalid_grant', error_description: 'Bad credentials' } };
    const token = randomBytes(24).toString('base64url');
    this.tokens.add(token);
    return {
      json: {
        access_token: token,
        token_type: 'bearer',
        expires_in: this.tokenLifetimeSeconds,
        scope: 'default',
        jti: randomBytes(8).toString('hex'),
      },
    };
  }

  private bearer(req: FakeRequest, ok: () => FakeReply): FakeReply {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match || !this.tokens.has(match[1]!)) {
      return { status: 401, json: { error: 'invalid_token', error_description: 'Invalid access token' } };
    }
    return ok();
  }
}

export const dattoRmmFake: FakeVendor = {
  create: () => new DattoRmmFake(),
  credentials: FAKE_DATTO_RMM_CREDENTIALS,
  // A new integration must say when its key expires (docs/integrations.md); the fake's never does.
  config: (baseUrl) => ({ baseUrl, apiKeyNeverExpires: true }),
};
