import { z } from 'zod';
import type { Connector, ProbeSuccess, VendorRequest, VendorResponse, VendorSession } from '../contract';
import type { ConcurrencyRule } from '../core/concurrency-gate';
import { hostFamily, originsOf } from '../core/destinations';
import { badResponse, expectOk, headroom, type MessageReader, numberAt, pathValue, stringAt } from '../core/errors';
import { tokenCacheKey, vendorTokens } from '../core/token-cache';
import { BASE_URL_FIELD, baseUrlField, joinUrl } from '../core/urls';

/**
 * Autotask PSA REST v1.0. Every database lives in one zone (webservicesN.autotask.net); the zone
 * is looked up once by user name, cached per integration, and handed back as `zoneUrl` so the
 * integration saves it and later calls skip the lookup. Auth is three headers on every call.
 */

export const autotaskCredentialsSchema = z.object({
  username: z.string().trim().min(1, 'the API user name is required'),
  secret: z.string().min(1, 'the API user secret is required'),
  integrationCode: z.string().trim().min(1, 'the API tracking identifier is required'),
});
export type AutotaskCredentials = z.infer<typeof autotaskCredentialsSchema>;

export const autotaskConfigSchema = z.object({
  /** Replaces https://webservices.autotask.net for the zone lookup (tests, fakes). */
  baseUrl: baseUrlField.optional(),
  /** The zone's REST root (`https://webservicesN.autotask.net/ATServicesRest/`), learned by the probe. */
  zoneUrl: baseUrlField.optional(),
});
export type AutotaskConfig = z.infer<typeof autotaskConfigSchema>;

export const AUTOTASK_ZONE_LOOKUP_BASE = 'https://webservices.autotask.net';
/** Every Autotask zone is a host under this domain. */
export const AUTOTASK_ZONE_DOMAIN = 'autotask.net';
/** Zones move rarely; a day keeps a moved database from failing for long. */
const ZONE_CACHE_SECONDS = 24 * 60 * 60;

/**
 * Autotask allows three requests in flight per API tracking identifier and endpoint (its "thread
 * limit"); the endpoint is the entity after `V1.0/` (`Tickets`, `TicketWebhooks`, …), whatever
 * follows it. The session keys the slots by its budget key (tenant + the credentials, whose
 * tracking identifier is one of them); core/concurrency-gate.ts says what an in-process gate misses.
 */
export const AUTOTASK_THREADS: ConcurrencyRule = {
  perEndpoint: 3,
  endpointOf: (url) => {
    const match = /\/v1\.0\/([^/?#]+)/i.exec(new URL(url).pathname);
    return match ? match[1]!.toLowerCase() : undefined;
  },
};

export type AutotaskSession = VendorSession<AutotaskCredentials, AutotaskConfig>;

/** Autotask errors: `{"errors": ["..."]}` (sometimes a plain `{message}` from the gateway). */
export const readAutotaskMessage: MessageReader = (body) => {
  const errors = pathValue(body, 'errors');
  if (Array.isArray(errors)) {
    const texts = errors.map((e) => (typeof e === 'string' ? e : stringAt(e, 'message'))).filter(Boolean);
    if (texts.length > 0) return { message: texts.join('; ') };
  }
  const message = stringAt(body, 'message') ?? stringAt(body, 'Message');
  return message ? { message } : undefined;
};

export function authHeaders(credentials: AutotaskCredentials): Record<string, string> {
  return {
    ApiIntegrationCode: credentials.integrationCode,
    UserName: credentials.username,
    Secret: credentials.secret,
    Accept: 'application/json',
    'Content-Type': 'application/json',
  };
}

/** `GET /atservicesrest/V1.0/ZoneInformation?user=` → the zone's REST root. */
async function lookupZone(session: AutotaskSession): Promise<string> {
  const response = await session.http.request({
    operation: 'zone-lookup',
    method: 'GET',
    url: joinUrl(session.config.baseUrl ?? AUTOTASK_ZONE_LOOKUP_BASE, '/atservicesrest/V1.0/ZoneInformation', {
      user: session.credentials.username,
    }),
    headers: authHeaders(session.credentials),
  });
  expectOk('autotask', 'zone-lookup', response, readAutotaskMessage);
  const url = stringAt(response.body, 'url');
  if (!url || !/^https?:\/\//i.test(url)) {
    throw badResponse('autotask', 'zone-lookup', response, 'ZoneInformation answered without a zone url');
  }
  return url;
}

/** The zone's REST root: saved config, else the cached lookup, else a lookup now. */
export async function zoneUrl(session: AutotaskSession): Promise<{ url: string; learned: boolean }> {
  if (session.config.zoneUrl) return { url: session.config.zoneUrl, learned: false };
  const key = tokenCacheKey(session.integrationId, 'autotask-zone', {
    username: session.credentials.username.toLowerCase(),
    lookup: session.config.baseUrl ?? AUTOTASK_ZONE_LOOKUP_BASE,
  });
  const url = await vendorTokens.getToken(key, async () => ({
    token: await lookupZone(session),
    expiresInSeconds: ZONE_CACHE_SECONDS,
  }));
  return { url, learned: true };
}

/** `V1.0/` under the zone root, as the docs say (`url` + `V1.0/`). */
export function autotaskApiUrl(zoneRoot: string, path: string): string {
  return joinUrl(joinUrl(zoneRoot, 'V1.0'), path);
}

/** One authenticated call under the account's zone; a refusal throws the vendor's message as a VendorError. */
export async function autotaskRequest(
  session: AutotaskSession,
  request: Pick<VendorRequest, 'operation' | 'method' | 'json'> & { path: string },
): Promise<{ response: VendorResponse; zone: { url: string; learned: boolean } }> {
  const zone = await zoneUrl(session);
  const { path, ...rest } = request;
  const response = await session.http.request({
    ...rest,
    url: autotaskApiUrl(zone.url, path),
    headers: authHeaders(session.credentials),
  });
  expectOk('autotask', request.operation, response, readAutotaskMessage);
  return { response, zone };
}

async function probe(session: AutotaskSession): Promise<ProbeSuccess<AutotaskConfig>> {
  const { response, zone } = await autotaskRequest(session, {
    operation: 'probe',
    method: 'GET',
    path: 'ThresholdInformation',
  });
  const limit = numberAt(response.body, 'externalRequestThreshold');
  const used = numberAt(response.body, 'currentTimeframeRequestCount');
  const minutes = numberAt(response.body, 'requestThresholdTimeframe');
  if (limit === undefined || used === undefined) {
    throw badResponse('autotask', 'probe', response, 'ThresholdInformation answered without the threshold fields');
  }
  return {
    quota: { used, limit, windowSeconds: (minutes ?? 60) * 60, headroom: headroom(used, limit) },
    ...(zone.learned ? { resolvedConfig: { zoneUrl: zone.url.replace(/\/+$/, '') } } : {}),
  };
}

export const connector: Connector<AutotaskCredentials, AutotaskConfig> = {
  catalog: {
    id: 'autotask',
    name: 'Autotask PSA',
    credentialFields: [
      {
        name: 'username',
        label: 'API user name',
        secret: false,
        required: true,
        hint: 'The API-only user (Admin › Resources), e.g. abc123@example.com.',
      },
      { name: 'secret', label: 'API user secret', secret: true, required: true, hint: 'The password of the API user.' },
      {
        name: 'integrationCode',
        label: 'API tracking identifier',
        secret: true,
        required: true,
        hint: 'The tracking identifier chosen on the API user (sent as ApiIntegrationCode).',
      },
    ],
    configFields: [
      BASE_URL_FIELD,
      {
        name: 'zoneUrl',
        label: 'Zone URL',
        secret: false,
        required: false,
        hint: 'Learned by "Test connection" from the zone lookup; set it only to pin a zone.',
      },
    ],
    capabilities: ['probe', 'quota', 'zone-lookup'],
  },
  credentialsSchema: autotaskCredentialsSchema,
  configSchema: autotaskConfigSchema,
  // 10,000 requests per hour per database (docs/vendors.md); the API user stands for the database.
  rateLimit: { requests: 10_000, windowSeconds: 3600 },
  accountKey: (credentials) => `autotask:${credentials.username.toLowerCase()}`,
  concurrency: AUTOTASK_THREADS,
  // The zone lookup host, a pinned zone, and Autotask's own zone hosts (webservicesN.autotask.net),
  // which the lookup names at run time for an integration saved without a zone.
  destinations: (config) => [
    ...originsOf([config.baseUrl ?? AUTOTASK_ZONE_LOOKUP_BASE, config.zoneUrl]),
    hostFamily(AUTOTASK_ZONE_DOMAIN),
  ],
  probe,
};
