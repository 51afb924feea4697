import { z } from 'zod';
import { nowMs } from '../../clock';
import type { Connector, ProbeSuccess, VendorSession } from '../contract';
import { originsOf } from '../core/destinations';
import { badResponse, expectOk, isRecord, type MessageReader, stringAt } from '../core/errors';
import { BASE_URL_FIELD, baseUrlField, isoDateField, joinUrl } from '../core/urls';

/**
 * Datto EDR (Infocyte). The API token goes raw in `Authorization` (no `Bearer`). Tokens expire a
 * year after they are made and the API does not say when that was, so the admin may give the
 * creation date and the probe reports the expiry.
 */

export const dattoEdrCredentialsSchema = z.object({
  apiToken: z.string().trim().min(1, 'the API token is required'),
});
export type DattoEdrCredentials = z.infer<typeof dattoEdrCredentialsSchema>;

export const dattoEdrConfigSchema = z
  .object({
    /** `<instance>.infocyte.com`. */
    instance: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'the instance is the first label of <instance>.infocyte.com')
      .optional(),
    baseUrl: baseUrlField.optional(),
    tokenCreatedAt: isoDateField.optional(),
    /** The token's expiry date itself, when the admin has it rather than the creation date. */
    tokenExpiresAt: isoDateField.optional(),
  })
  .refine((c) => c.instance !== undefined || c.baseUrl !== undefined, {
    message: 'give the instance name (the part before .infocyte.com) or a base URL',
    path: ['instance'],
  });
export type DattoEdrConfig = z.infer<typeof dattoEdrConfigSchema>;

type EdrSession = VendorSession<DattoEdrCredentials, DattoEdrConfig>;

const TOKEN_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;

export function dattoEdrBaseUrl(config: DattoEdrConfig): string {
  return config.baseUrl ?? `https://${config.instance}.infocyte.com`;
}

/** LoopBack errors: `{"error": {"statusCode", "name", "message"}}`. */
export const readDattoEdrMessage: MessageReader = (body) => {
  const message = stringAt(body, 'error', 'message') ?? stringAt(body, 'message');
  if (!message) return undefined;
  const code = stringAt(body, 'error', 'code') ?? stringAt(body, 'error', 'name');
  return code ? { message, code } : { message };
};

async function probe(session: EdrSession): Promise<ProbeSuccess<DattoEdrConfig>> {
  const response = await session.http.request({
    operation: 'probe',
    method: 'GET',
    url: joinUrl(dattoEdrBaseUrl(session.config), '/api/users/me'),
    headers: { Authorization: session.credentials.apiToken, Accept: 'application/json' },
  });
  expectOk('datto-edr', 'probe', response, readDattoEdrMessage);
  if (!isRecord(response.body)) throw badResponse('datto-edr', 'probe', response, 'users/me answered without a user');
  const created = session.config.tokenCreatedAt ? Date.parse(session.config.tokenCreatedAt) : undefined;
  // The expiry given outright wins; else a year after creation.
  const expires = session.config.tokenExpiresAt
    ? Date.parse(session.config.tokenExpiresAt)
    : created !== undefined
      ? created + TOKEN_LIFETIME_MS
      : undefined;
  const notes: string[] = [];
  const who = stringAt(response.body, 'email') ?? stringAt(response.body, 'username');
  if (who) notes.push(`authenticated as ${who}`);
  if (expires === undefined) {
    notes.push('Set tokenExpiresAt (or tokenCreatedAt) to be warned before the API token expires (one year).');
  } else if (expires < nowMs()) notes.push('The API token is past its expiry date.');
  return {
    ...(expires !== undefined
      ? { expiries: [{ what: 'Datto EDR API token', at: new Date(expires).toISOString() }] }
      : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

export const connector: Connector<DattoEdrCredentials, DattoEdrConfig> = {
  catalog: {
    id: 'datto-edr',
    name: 'Datto EDR',
    credentialFields: [
      {
        name: 'apiToken',
        label: 'API token',
        secret: true,
        required: true,
        hint: 'Admin › Users & Tokens › API tokens. Tokens expire after one year.',
      },
    ],
    configFields: [
      {
        name: 'instance',
        label: 'Instance',
        secret: false,
        required: false,
        hint: 'The part before .infocyte.com in your console address.',
      },
      BASE_URL_FIELD,
      {
        name: 'tokenCreatedAt',
        label: 'Token creation date',
        secret: false,
        required: false,
        hint: 'When the token was made (YYYY-MM-DD); it expires a year later. Required at create unless tokenExpiresAt is given.',
      },
      {
        name: 'tokenExpiresAt',
        label: 'Token expiry date',
        secret: false,
        required: false,
        hint: "The token's expiry date (YYYY-MM-DD), instead of tokenCreatedAt; the hub warns ahead of it.",
      },
    ],
    capabilities: ['probe', 'expiry'],
  },
  credentialsSchema: dattoEdrCredentialsSchema,
  configSchema: dattoEdrConfigSchema,
  // Not documented (docs/vendors.md); a conservative budget of our own, see docs/decisions.md.
  rateLimit: { requests: 300, windowSeconds: 60 },
  // The budget is the instance's: every token of one console shares it.
  accountKey: (_credentials, config) => `datto-edr:${dattoEdrBaseUrl(config)}`,
  destinations: (config) => originsOf([dattoEdrBaseUrl(config)]),
  probe,
  // The API has no call that reports a token's age or expiry (docs/vendor-fidelity.md).
  requiredAtCreate: (config) =>
    config.tokenCreatedAt === undefined && config.tokenExpiresAt === undefined
      ? {
          field: 'config.tokenExpiresAt',
          message:
            'Datto EDR does not report when an API token expires, so enter it: config.tokenExpiresAt (YYYY-MM-DD), or config.tokenCreatedAt, the day the token was made under Admin › Users & Tokens › API tokens (tokens last one year). Nothing was saved.',
        }
      : undefined,
};
