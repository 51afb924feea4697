import { z } from 'zod';

/**
 * Microsoft 365 is two hosts: Entra ID issues the token (login.microsoftonline.com) and Graph
 * answers the calls (graph.microsoft.com). Each is overridable (national clouds, tests); `baseUrl`
 * sets both at once, which is how tests point one fake at the connector.
 */
export const M365_DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';
export const M365_DEFAULT_GRAPH_URL = 'https://graph.microsoft.com';

export const m365CredentialsSchema = z.strictObject({
  clientId: z.string().trim().min(1),
  clientSecret: z.string().min(1),
});
export type M365Credentials = z.infer<typeof m365CredentialsSchema>;

export const m365ConfigSchema = z.strictObject({
  /** The partner's Entra tenant: a GUID or a verified domain such as contoso.onmicrosoft.com. */
  tenantId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a tenant id is a GUID or a domain such as contoso.onmicrosoft.com'),
  baseUrl: z.url().optional(),
  loginBaseUrl: z.url().optional(),
  graphBaseUrl: z.url().optional(),
  /** National clouds use their own Graph resource, e.g. https://graph.microsoft.us/.default. */
  scope: z.string().trim().min(1).optional(),
  /** Partners read GDAP relationships; a plain customer tenant can switch this off. */
  checkGdap: z.boolean().default(true),
});
export type M365Config = z.infer<typeof m365ConfigSchema>;

export interface M365Endpoints {
  tokenUrl: string;
  graphRoot: string;
}

const trim = (url: string) => url.replace(/\/+$/, '');

export function m365Endpoints(config: M365Config): M365Endpoints {
  const login = trim(config.loginBaseUrl ?? config.baseUrl ?? M365_DEFAULT_LOGIN_URL);
  const graph = trim(config.graphBaseUrl ?? config.baseUrl ?? M365_DEFAULT_GRAPH_URL);
  return {
    tokenUrl: `${login}/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`,
    graphRoot: graph,
  };
}

export const GRAPH_DEFAULT_SCOPE = `${M365_DEFAULT_GRAPH_URL}/.default`;

/** The client-credentials scope: the Graph resource's `.default` (not derived from graphBaseUrl, which may be a proxy). */
export function graphScope(config: M365Config): string {
  return config.scope ?? GRAPH_DEFAULT_SCOPE;
}
