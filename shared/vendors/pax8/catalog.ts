import type { VendorCatalogEntry } from '../contract';
import { PAX8_DEFAULT_AUDIENCE, PAX8_DEFAULT_BASE_URL, PAX8_DEFAULT_TOKEN_URL } from './config';

export const pax8Catalog: VendorCatalogEntry = {
  id: 'pax8',
  name: 'Pax8',
  credentialFields: [
    {
      name: 'clientId',
      label: 'Client ID',
      secret: false,
      required: true,
      hint: 'Pax8 Partner Portal > Settings > Integrations > Credentials.',
    },
    {
      name: 'clientSecret',
      label: 'Client secret',
      secret: true,
      required: true,
      hint: 'Rotated by Pax8 admins; after a rotation the hub reports an authentication failure until it is updated here.',
    },
  ],
  configFields: [
    {
      name: 'baseUrl',
      label: 'API base URL',
      secret: false,
      required: false,
      hint: `Defaults to ${PAX8_DEFAULT_BASE_URL} (include /v1).`,
    },
    {
      name: 'tokenUrl',
      label: 'Token URL',
      secret: false,
      required: false,
      hint: `Defaults to ${PAX8_DEFAULT_TOKEN_URL}.`,
    },
    {
      name: 'audience',
      label: 'Token audience',
      secret: false,
      required: false,
      hint: `Defaults to ${PAX8_DEFAULT_AUDIENCE}.`,
    },
  ],
  capabilities: ['probe', 'order.place', 'subscription.quantity'],
};
