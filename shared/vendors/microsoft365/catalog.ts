import type { VendorCatalogEntry } from '../contract';

/**
 * The Graph application permission each feature needs (Microsoft's permission reference for each
 * call): the setup hint lists them all, a 403 names the one its call needed.
 */
export const GRAPH_PERMISSIONS = {
  /** `GET /organization`, the connection test. */
  probe: 'Organization.Read.All',
  /** `GET /tenantRelationships/delegatedAdminRelationships` (the probe's GDAP check). */
  gdap: 'DelegatedAdminRelationship.Read.All',
  /** `GET /users/{id}` (tool calls). */
  'user.lookup': 'User.Read.All',
  /** Subscriptions on `users` (pushed webhooks); `groups` needs Group.Read.All. */
  'subscription.create': 'User.Read.All (users) or Group.Read.All (groups)',
  'subscription.renew': 'User.Read.All (users) or Group.Read.All (groups)',
  /** The sync engine's customer tenants (`GET /tenantRelationships/delegatedAdminCustomers`). */
  'sync.customers': 'DelegatedAdminRelationship.Read.All',
  /** The sync engine's contacts (`GET /users`). */
  'sync.users': 'User.Read.All',
} as const;

const GRAPH_PERMISSION_LIST =
  'Organization.Read.All (connection test), DelegatedAdminRelationship.Read.All (GDAP check), User.Read.All (user lookups and users webhooks), Group.Read.All (only for groups webhooks)';

/** The permission a Graph operation needs, for the 403 hint. */
export function graphPermissionFor(operation: string): string | undefined {
  return (GRAPH_PERMISSIONS as Record<string, string>)[operation];
}

export const m365Catalog: VendorCatalogEntry = {
  id: 'microsoft365',
  name: 'Microsoft 365 / Partner Center (Graph, GDAP)',
  credentialFields: [
    {
      name: 'clientId',
      label: 'Application (client) ID',
      secret: false,
      required: true,
      hint: `The Entra app registration, with admin consent for these Graph application permissions: ${GRAPH_PERMISSION_LIST}.`,
    },
    {
      name: 'clientSecret',
      label: 'Client secret',
      secret: true,
      required: true,
      hint: 'The secret value (not its id) from Certificates & secrets.',
    },
  ],
  configFields: [
    {
      name: 'tenantId',
      label: 'Tenant ID',
      secret: false,
      required: true,
      hint: 'The partner tenant: its GUID or a domain such as contoso.onmicrosoft.com.',
    },
    {
      name: 'checkGdap',
      label: 'Check GDAP relationships',
      secret: false,
      required: false,
      hint: 'Default true: the probe warns 30 days before a GDAP relationship ends and when one is expiring.',
    },
    {
      name: 'baseUrl',
      label: 'Base URL (tests)',
      secret: false,
      required: false,
      hint: 'One host serving both the token and the Graph paths; for fakes and proxies.',
    },
    {
      name: 'loginBaseUrl',
      label: 'Login base URL',
      secret: false,
      required: false,
      hint: 'Defaults to https://login.microsoftonline.com (national clouds use their own).',
    },
    {
      name: 'graphBaseUrl',
      label: 'Graph base URL',
      secret: false,
      required: false,
      hint: 'Defaults to https://graph.microsoft.com (national clouds use their own).',
    },
    {
      name: 'scope',
      label: 'Token scope',
      secret: false,
      required: false,
      hint: 'Defaults to https://graph.microsoft.com/.default; national clouds use their Graph resource’s .default.',
    },
  ],
  capabilities: ['probe', 'expiries', 'webhooks'],
};
