import type { VendorCatalogEntry } from '../contract';

export const haloCatalog: VendorCatalogEntry = {
  id: 'halopsa',
  name: 'Halo PSA',
  credentialFields: [
    {
      name: 'clientId',
      label: 'Client ID',
      secret: false,
      required: true,
      hint: 'Configuration > Integrations > Halo API > View Applications: an application using Client ID and Secret (Services).',
    },
    {
      name: 'clientSecret',
      label: 'Client secret',
      secret: true,
      required: true,
      hint: 'Shown once when the Halo API application is created.',
    },
  ],
  configFields: [
    {
      name: 'tenant',
      label: 'Tenant',
      secret: false,
      required: false,
      hint: 'The part before .halopsa.com. Required unless a base URL is given.',
    },
    {
      name: 'baseUrl',
      label: 'Base URL',
      secret: false,
      required: false,
      hint: 'For self-hosted Halo or a sandbox, e.g. https://halo.example.com. Overrides the tenant.',
    },
    {
      name: 'scope',
      label: 'Scopes',
      secret: false,
      required: false,
      hint: 'Space-separated Halo API scopes; defaults to all (e.g. read:tickets edit:tickets read:customers).',
    },
  ],
  capabilities: ['probe', 'webhooks'],
};
