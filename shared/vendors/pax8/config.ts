import { z } from 'zod';

/**
 * Pax8 uses OAuth client credentials. Pax8's Authentication description names the token URL
 * (its OAuth2 scheme) and the audience for the partner endpoints (`https://api.pax8.com`; the
 * older `api://p8p.client` is still in its enum). Both stay settings (docs/vendor-fidelity.md).
 */
export const PAX8_DEFAULT_BASE_URL = 'https://api.pax8.com/v1';
export const PAX8_DEFAULT_TOKEN_URL = 'https://token-manager.pax8.com/oauth/token';
export const PAX8_DEFAULT_AUDIENCE = 'https://api.pax8.com';

export const pax8CredentialsSchema = z.strictObject({
  clientId: z.string().trim().min(1),
  clientSecret: z.string().min(1),
});
export type Pax8Credentials = z.infer<typeof pax8CredentialsSchema>;

export const pax8ConfigSchema = z.strictObject({
  /** The API root including `/v1`. */
  baseUrl: z.url().optional(),
  tokenUrl: z.url().optional(),
  audience: z.string().trim().min(1).optional(),
});
export type Pax8Config = z.infer<typeof pax8ConfigSchema>;

export interface Pax8Endpoints {
  apiRoot: string;
  tokenUrl: string;
  audience: string;
}

export function pax8Endpoints(config: Pax8Config): Pax8Endpoints {
  return {
    apiRoot: (config.baseUrl ?? PAX8_DEFAULT_BASE_URL).replace(/\/+$/, ''),
    tokenUrl: config.tokenUrl ?? PAX8_DEFAULT_TOKEN_URL,
    audience: config.audience ?? PAX8_DEFAULT_AUDIENCE,
  };
}
