import type { VendorCatalogEntry } from '../contract';

export const unifiCatalog: VendorCatalogEntry = {
  id: 'unifi',
  name: 'UniFi (Site Manager and local Network API)',
  credentialFields: [
    {
      name: 'apiKey',
      label: 'API key',
      secret: true,
      required: true,
      hint: 'Site Manager: unifi.ui.com > API. Network mode: the console > Network > Settings > Control Plane > Integrations.',
    },
  ],
  configFields: [
    {
      name: 'mode',
      label: 'API',
      secret: false,
      required: false,
      hint: 'site-manager (cloud, api.ui.com; the default) or network (a console’s local Network integration API).',
    },
    {
      name: 'baseUrl',
      label: 'Site Manager base URL',
      secret: false,
      required: false,
      hint: 'site-manager mode only; defaults to https://api.ui.com.',
    },
    {
      name: 'consoleUrl',
      label: 'Console URL',
      secret: false,
      required: false,
      hint: 'network mode (required): the console’s address, e.g. https://192.168.1.1. A private LAN address also needs the integration’s allowPrivateAddress (admin keys only).',
    },
    {
      name: 'certificateSha256',
      label: 'Console certificate SHA-256',
      secret: false,
      required: false,
      hint: 'network mode over https: the console certificate’s SHA-256 fingerprint (browser padlock > certificate details), hex with or without colons. The hub then trusts exactly that certificate instead of a public authority; admin keys only.',
    },
  ],
  capabilities: ['probe', 'device.restart', 'firewall.policy.enable'],
};
