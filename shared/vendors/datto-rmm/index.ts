import { z } from 'zod';
import { callWithBearer, readOAuthError, requestToken } from '../client-credentials';
import type { Connector, ExpiryWarning, ProbeSuccess, VendorRequest, VendorResponse, VendorSession } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, expectOk, headroom, type MessageReader, numberAt, stringAt } from '../core/errors';
import { tokenCacheKey } from '../core/token-cache';
import { BASE_URL_FIELD, baseUrlField, isoDateField, joinUrl } from '../core/urls';

/**
 * Datto RMM API v2. The API key and secret are exchanged for a long-lived bearer token with the
 * OAuth password grant under the fixed public client `public-client:public`; the token is cached
 * per integration and refreshed before `expires_in` runs out (never assumed). The probe reads the
 * account's sliding-window quota from `system/request_rate`.
 */

export const DATTO_RMM_PLATFORMS = ['pinotage', 'merlot', 'concord', 'vidal', 'zinfandel', 'syrah'] as const;

export const dattoRmmCredentialsSchema = z.object({
  apiKey: z.string().trim().min(1, 'the API key is required'),
  apiSecret: z.string().min(1, 'the API secret key is required'),
});
export type DattoRmmCredentials = z.infer<typeof dattoRmmCredentialsSchema>;

export const dattoRmmConfigSchema = z
  .object({
    platform: z.enum(DATTO_RMM_PLATFORMS).optional(),
    baseUrl: baseUrlField.optional(),
    /** When the admin set the API key to expire (Datto RMM does not report it through the API). */
    apiKeyExpiresAt: isoDateField.optional(),
    /** The admin's answer that the key was made without an expiry date (so there is nothing to ask). */
    apiKeyNeverExpires: z.boolean().optional(),
    /**
     * The account the API key belongs to, as `system/request_rate` reports it; learned by the
     * connection test and saved, so the hub's budget is the account's (Datto counts per account).
     */
    accountUid: z.string().trim().min(1).max(100).optional(),
  })
  .refine((c) => c.platform !== undefined || c.baseUrl !== undefined, {
    message: 'choose the platform your account is on (or give a base URL)',
    path: ['platform'],
  });
export type DattoRmmConfig = z.infer<typeof dattoRmmConfigSchema>;

export type RmmSession = VendorSession<DattoRmmCredentials, DattoRmmConfig>;

/** The fixed public OAuth client every Datto RMM API integration uses (documented, not a secret). */
const PUBLIC_CLIENT = `Basic ${Buffer.from('public-client:public').toString('base64')}`;

export function dattoRmmBaseUrl(config: DattoRmmConfig): string {
  return config.baseUrl ?? `https://${config.platform}-api.centrastage.net`;
}

/**
 * The API's `{message}` first (its bodies may also carry a terse `error`), then the token
 * endpoint's OAuth `{error, error_description}`.
 */
export const readDattoRmmMessage: MessageReader = (body) => {
  const message = stringAt(body, 'message');
  return message ? { message } : readOAuthError(body);
};

function tokenKey(session: RmmSession): string {
  return tokenCacheKey(session.integrationId, 'datto-rmm-token', {
    credentials: session.credentials,
    base: dattoRmmBaseUrl(session.config),
  });
}

function fetchToken(session: RmmSession) {
  return requestToken(
    'datto-rmm',
    session.http,
    {
      operation: 'token',
      method: 'POST',
      url: joinUrl(dattoRmmBaseUrl(session.config), '/auth/oauth/token'),
      headers: { Authorization: PUBLIC_CLIENT, Accept: 'application/json' },
      form: { grant_type: 'password', username: session.credentials.apiKey, password: session.credentials.apiSecret },
    },
    readDattoRmmMessage,
  );
}

/** One bearer call to the integration's Datto RMM host; a refusal throws the API's message. */
export async function rmmCall(
  session: RmmSession,
  request: Omit<VendorRequest, 'url' | 'headers'> & { path: string; query?: Record<string, string> },
): Promise<VendorResponse> {
  const { path, query, ...rest } = request;
  const response = await callWithBearer({
    http: session.http,
    cacheKey: tokenKey(session),
    fetchToken: () => fetchToken(session),
    build: (token) => ({
      ...rest,
      url: joinUrl(dattoRmmBaseUrl(session.config), path, query ?? {}),
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    }),
  });
  expectOk('datto-rmm', request.operation, response, readDattoRmmMessage);
  return response;
}

async function probe(session: RmmSession): Promise<ProbeSuccess<DattoRmmConfig>> {
  const response = await rmmCall(session, { operation: 'probe', method: 'GET', path: '/api/v2/system/request_rate' });
  const used = numberAt(response.body, 'accountCount');
  const limit = numberAt(response.body, 'accountRateLimit');
  if (used === undefined || limit === undefined) {
    throw badResponse('datto-rmm', 'probe', response, 'request_rate answered without accountCount/accountRateLimit');
  }
  const expiries: ExpiryWarning[] = session.config.apiKeyExpiresAt
    ? [{ what: 'Datto RMM API key', at: new Date(session.config.apiKeyExpiresAt).toISOString() }]
    : [];
  const notes: string[] = [];
  // Datto RMM's API does not say when a key expires, so the hub asks rather than stay silent.
  if (!session.config.apiKeyExpiresAt && session.config.apiKeyNeverExpires !== true) {
    notes.push(
      'Datto RMM does not report when an API key expires: set apiKeyExpiresAt to its date (or apiKeyNeverExpires to true) so the hub can warn before it stops working.',
    );
  }
  const accountUid = stringAt(response.body, 'accountUid');
  const writes = numberAt(response.body, 'accountWriteCount');
  const writeLimit = numberAt(response.body, 'accountWriteRateLimit');
  if (writes !== undefined && writeLimit !== undefined)
    notes.push(`write requests in the window: ${writes} of ${writeLimit}`);
  return {
    quota: {
      used,
      limit,
      windowSeconds: numberAt(response.body, 'slidingTimeWindowSizeSeconds') ?? 60,
      headroom: headroom(used, limit),
    },
    ...(expiries.length > 0 ? { expiries } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    ...(accountUid !== undefined && accountUid !== session.config.accountUid ? { resolvedConfig: { accountUid } } : {}),
  };
}

/**
 * The budget's account: Datto counts requests per account (repeated 429s end in a temporary IP
 * block), so every key of one account must spend one budget. Until the account is learned (a
 * config saved before the connection test reported it) the API key stands in for it.
 */
export function dattoRmmAccountKey(credentials: DattoRmmCredentials, config: DattoRmmConfig): string {
  const base = dattoRmmBaseUrl(config);
  return config.accountUid !== undefined
    ? `datto-rmm:${base}:account:${config.accountUid}`
    : `datto-rmm:${base}:api-key:${credentials.apiKey}`;
}

export const connector: Connector<DattoRmmCredentials, DattoRmmConfig> = {
  catalog: {
    id: 'datto-rmm',
    name: 'Datto RMM',
    credentialFields: [
      {
        name: 'apiKey',
        label: 'API key',
        secret: false,
        required: true,
        hint: 'Setup › Users › (API user) › API key.',
      },
      {
        name: 'apiSecret',
        label: 'API secret key',
        secret: true,
        required: true,
        hint: 'Shown once when the API key is generated.',
      },
    ],
    configFields: [
      {
        name: 'platform',
        label: 'Platform',
        secret: false,
        required: false,
        hint: `Where your account lives: ${DATTO_RMM_PLATFORMS.join(', ')} (the part before -api.centrastage.net).`,
      },
      BASE_URL_FIELD,
      {
        name: 'apiKeyExpiresAt',
        label: 'API key expiry date',
        secret: false,
        required: false,
        hint: "Required at create (or apiKeyNeverExpires): Datto RMM's API does not report it. The key's expiry date (YYYY-MM-DD), from Setup › Users › the API user; the hub warns ahead of it.",
      },
      {
        name: 'apiKeyNeverExpires',
        label: 'API key never expires',
        secret: false,
        required: false,
        hint: 'true when the key was made without an expiry date (instead of apiKeyExpiresAt); integrations saved without either get a note on every test and probe.',
      },
    ],
    capabilities: ['probe', 'quota', 'expiry'],
  },
  credentialsSchema: dattoRmmCredentialsSchema,
  configSchema: dattoRmmConfigSchema,
  // 600 requests per 60 s per account (docs/integrations.md); repeated 429s end in an IP block.
  rateLimit: { requests: 600, windowSeconds: 60 },
  accountKey: dattoRmmAccountKey,
  budgetScope: 'account',
  destinations: (config) => originsOf([dattoRmmBaseUrl(config)]),
  probe,
  // No operation of the API v2 description reports a key's expiry (test/fixtures/vendor-specs/datto-rmm).
  requiredAtCreate: (config) =>
    config.apiKeyExpiresAt === undefined && config.apiKeyNeverExpires !== true
      ? {
          field: 'config.apiKeyExpiresAt',
          message:
            'Datto RMM does not report when an API key expires, so enter it: config.apiKeyExpiresAt (YYYY-MM-DD), the expiry set when the key was generated (Datto RMM: Setup › Users › the API user › API keys). If the key was made without an expiry date, send config.apiKeyNeverExpires: true instead. Nothing was saved.',
        }
      : undefined,
};
