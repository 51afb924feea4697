import { randomBytes } from 'node:crypto';
import { secretsEqual } from '../../shared/crypto/constant-time';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';
import { loadSlice } from './core/spec-check';

/**
 * Datto RMM fake: the password-grant token endpoint under the public client, bearer-checked v2
 * routes, and `system/request_rate` reporting the calls this fake has seen in its window.
 */
export const FAKE_DATTO_RMM_CREDENTIALS = {
  apiKey: 'FAKERMMAPIKEY0001',
  apiSecret: 'fake-datto-rmm-secret',
};

const PUBLIC_CLIENT = `Basic ${Buffer.from('public-client:public').toString('base64')}`;

export class DattoRmmFake extends FakeVendorServer {
  /** `expires_in` of issued tokens. */
  tokenLifetimeSeconds = 360_000;
  accountRateLimit = 600;
  /** The account every key of this fake belongs to (`request_rate` and `account` report it). */
  accountUid = 'fake-account-1';
  private tokens = new Set<string>();

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
  config: (baseUrl) => ({ baseUrl }),
};
