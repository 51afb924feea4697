import { z } from 'zod';

/**
 * Halo PSA credentials and settings. Halo is reached at `https://{tenant}.halopsa.com` (hosted) or
 * at an explicit base URL (self-hosted, sandboxes, the fake); one of the two is required.
 */
export const haloCredentialsSchema = z.strictObject({
  clientId: z.string().trim().min(1),
  clientSecret: z.string().min(1),
});
export type HaloCredentials = z.infer<typeof haloCredentialsSchema>;

/** A Halo tenant is the first DNS label of `{tenant}.halopsa.com`. */
const tenantLabel = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a Halo tenant is the first part of {tenant}.halopsa.com');

export const haloConfigSchema = z
  .strictObject({
    tenant: tenantLabel.optional(),
    baseUrl: z.url().optional(),
    /** Space-separated Halo scopes; `all` covers tickets, clients and assets (docs/vendors.md). */
    scope: z.string().trim().min(1).default('all'),
    /**
     * How the hub gets its token: `client_credentials` (the application's own secret) or
     * `authorization_code`, where an admin signs in to Halo once in a browser and the hub keeps the
     * refresh token (docs/integrations.md "Halo PSA authorisation").
     */
    grant: z.enum(['client_credentials', 'authorization_code']).default('client_credentials'),
    /**
     * The hub's request budget for this Halo instance per 5 minutes. Halo admins raise an
     * instance's API limit, so it is the integration's to say (docs/sync.md "Rate limits").
     */
    requestsPer5Minutes: z.number().int().min(1).max(10_000).default(700),
  })
  .refine((config) => config.tenant !== undefined || config.baseUrl !== undefined, {
    message: 'Give the Halo tenant (the part before .halopsa.com) or a base URL.',
    path: ['tenant'],
  });
export type HaloConfig = z.infer<typeof haloConfigSchema>;

/** The instance root, without a trailing slash; an explicit base URL wins over the tenant. */
export function haloBaseUrl(config: HaloConfig): string {
  if (config.baseUrl !== undefined) return config.baseUrl.replace(/\/+$/, '');
  return `https://${config.tenant}.halopsa.com`;
}
