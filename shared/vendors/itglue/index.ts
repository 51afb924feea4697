import { z } from 'zod';
import { type Connector, type ProbeSuccess, VendorError, type VendorSession } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, isSuccess, type MessageReader, pathValue, stringAt, vendorErrorFrom } from '../core/errors';
import { credentialDigest } from '../core/token-cache';
import { BASE_URL_FIELD, baseUrlField, joinUrl } from '../core/urls';

/**
 * IT Glue (JSON:API, `x-api-key`). Keys belong to one region's data centre. With the region left
 * blank the probe tries US, EU and AU in turn — a key from another region answers 401 there — and
 * reports the one that answered 200 as `resolvedConfig.region` for the integration to save.
 * IT Glue is read-only for the hub: this connector has no write path and must never get one.
 */

export const ITGLUE_REGIONS = ['us', 'eu', 'au'] as const;
export type ItGlueRegion = (typeof ITGLUE_REGIONS)[number];

export const ITGLUE_REGION_HOSTS: Record<ItGlueRegion, string> = {
  us: 'https://api.itglue.com',
  eu: 'https://api.eu.itglue.com',
  au: 'https://api.au.itglue.com',
};

export const itglueCredentialsSchema = z.object({
  apiKey: z.string().trim().min(1, 'the API key is required'),
});
export type ItGlueCredentials = z.infer<typeof itglueCredentialsSchema>;

export const itglueConfigSchema = z.object({
  region: z.enum(ITGLUE_REGIONS).optional(),
  /** Replaces the region's host (and so turns region discovery off). */
  baseUrl: baseUrlField.optional(),
});
export type ItGlueConfig = z.infer<typeof itglueConfigSchema>;

export type ItGlueSession = VendorSession<ItGlueCredentials, ItGlueConfig>;

/**
 * The host an integration's requests go to. The probe saves the region that accepted the key; US
 * is IT Glue's default data centre.
 */
export function itglueBaseUrl(config: ItGlueConfig): string {
  return config.baseUrl ?? ITGLUE_REGION_HOSTS[config.region ?? 'us'];
}

/**
 * The vendor code of a key refused by the region the admin chose: IT Glue keys belong to one data
 * centre, so the likelier fix is the region, not the key (docs/integrations.md, "Regions and
 * zones"). The key is not tried elsewhere: its saved destinations are that region's host only.
 */
export const ITGLUE_REGION_REFUSED = 'itglue_region_refused';

function regionRefused(error: VendorError): VendorError {
  return new VendorError({
    vendor: error.vendor,
    operation: error.operation,
    kind: error.kind,
    ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
    vendorCode: ITGLUE_REGION_REFUSED,
    vendorMessage: error.vendorMessage,
  });
}

const JSON_API = 'application/vnd.api+json';

/** JSON:API errors: `{"errors": [{status, title, detail}]}`. */
export const readItGlueMessage: MessageReader = (body) => {
  const first = pathValue(body, 'errors', 0);
  const message = stringAt(first, 'detail') ?? stringAt(first, 'title') ?? stringAt(body, 'message');
  if (!message) return undefined;
  const code = stringAt(first, 'code') ?? stringAt(first, 'title');
  return code && code !== message ? { message, code } : { message };
};

async function probeAt(session: ItGlueSession, base: string) {
  return session.http.request({
    operation: 'probe',
    method: 'GET',
    url: joinUrl(base, '/organizations', { 'page[size]': '1' }),
    headers: { 'x-api-key': session.credentials.apiKey, Accept: JSON_API, 'Content-Type': JSON_API },
  });
}

async function probeOne(session: ItGlueSession, base: string): Promise<void> {
  const response = await probeAt(session, base);
  if (!isSuccess(response.status)) throw vendorErrorFrom('itglue', 'probe', response, readItGlueMessage);
  if (!Array.isArray(pathValue(response.body, 'data'))) {
    throw badResponse('itglue', 'probe', response, 'organizations answered without a data array');
  }
}

/** The connector with the region hosts it tries; tests aim the three regions at three fakes. */
export function createItGlueConnector(
  regionHosts: Record<ItGlueRegion, string> = ITGLUE_REGION_HOSTS,
): Connector<ItGlueCredentials, ItGlueConfig> {
  async function probe(session: ItGlueSession): Promise<ProbeSuccess<ItGlueConfig>> {
    const { baseUrl, region } = session.config;
    if (baseUrl || region) {
      try {
        await probeOne(session, baseUrl ?? regionHosts[region as ItGlueRegion]);
      } catch (error) {
        if (!baseUrl && error instanceof VendorError && error.kind === 'auth') throw regionRefused(error);
        throw error;
      }
      return {};
    }
    let refused: VendorError | undefined;
    for (const candidate of ITGLUE_REGIONS) {
      try {
        await probeOne(session, regionHosts[candidate]);
        return {
          resolvedConfig: { region: candidate },
          notes: [`The API key belongs to the ${candidate.toUpperCase()} region.`],
        };
      } catch (error) {
        // Only "this key is not known here" moves on; any other failure is the answer.
        if ((error as VendorError).kind !== 'auth') throw error;
        refused ??= error as VendorError;
      }
    }
    throw refused;
  }

  return {
    catalog: {
      id: 'itglue',
      name: 'IT Glue',
      credentialFields: [
        {
          name: 'apiKey',
          label: 'API key',
          secret: true,
          required: true,
          hint: 'Account › Settings › API Keys (starts with ITG.). A read-only key is enough.',
        },
      ],
      configFields: [
        {
          name: 'region',
          label: 'Region',
          secret: false,
          required: false,
          hint: 'us, eu or au. Leave blank and "Test connection" finds and saves the region that accepts the key.',
        },
        BASE_URL_FIELD,
      ],
      capabilities: ['probe', 'region-discovery', 'read-only'],
    },
    credentialsSchema: itglueCredentialsSchema,
    configSchema: itglueConfigSchema,
    // 3,000 requests per 5 minutes (docs/vendors.md).
    rateLimit: { requests: 3000, windowSeconds: 300 },
    // A digest, so no part of the key is ever used as an identifier.
    accountKey: (credentials) => `itglue:${credentialDigest(credentials.apiKey)}`,
    // A blank region searches all three data centres, so the key may go to each of them.
    destinations: ({ baseUrl, region }) =>
      originsOf(baseUrl ? [baseUrl] : region ? [regionHosts[region]] : ITGLUE_REGIONS.map((r) => regionHosts[r])),
    probe,
  };
}

export const connector = createItGlueConnector();
