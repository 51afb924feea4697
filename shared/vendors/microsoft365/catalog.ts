import type { VendorCatalogEntry } from '../contract';

export const m365Catalog: VendorCatalogEntry = {
  id: 'microsoft365',
  name: 'Microsoft 365 / Partner Center (Graph, GDAP)',
  credentialFields: [
    {
      name: 'clientId',
      label: 'Application (client) ID',
      secret: false,
      required: true,
      hint: 'The Entra app registration; needs Graph application permissions Organization.Read.All and DelegatedAdminRelationship.Read.All.',
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
