import { z } from 'zod';

/**
 * UniFi has two APIs behind one integration: the cloud Site Manager (api.ui.com) and a console's
 * local Network integration API. `mode` picks one; each has its own address fields.
 */
export const UNIFI_SITE_MANAGER_URL = 'https://api.ui.com';
/** Where a console serves the Network integration API (its version segment is added per call). */
export const UNIFI_NETWORK_API_PATH = '/proxy/network/integration';

export const unifiCredentialsSchema = z.strictObject({
  apiKey: z.string().trim().min(1),
});
export type UnifiCredentials = z.infer<typeof unifiCredentialsSchema>;

const siteManagerConfig = z.strictObject({
  mode: z.literal('site-manager'),
  baseUrl: z.url().optional(),
});

const networkConfig = z.strictObject({
  mode: z.literal('network'),
  /** The console's address, e.g. https://192.168.1.1 or https://unifi.example.com. */
  consoleUrl: z.url(),
});

/** `mode` defaults to the Site Manager, so `{baseUrl}` alone (a sandbox, the fake) is enough. */
export const unifiConfigSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !('mode' in value) ? { ...value, mode: 'site-manager' } : value,
  z.discriminatedUnion('mode', [siteManagerConfig, networkConfig]),
);
export type UnifiConfig = z.infer<typeof unifiConfigSchema>;
export type UnifiSiteManagerConfig = z.infer<typeof siteManagerConfig>;
export type UnifiNetworkConfig = z.infer<typeof networkConfig>;

export function siteManagerRoot(config: UnifiSiteManagerConfig): string {
  return (config.baseUrl ?? UNIFI_SITE_MANAGER_URL).replace(/\/+$/, '');
}

/** `https://<console>/proxy/network/integration` (a console URL given with a path keeps it). */
export function networkApiRoot(config: UnifiNetworkConfig): string {
  return `${config.consoleUrl.replace(/\/+$/, '')}${UNIFI_NETWORK_API_PATH}`;
}

/**
 * The host a private-address opt-in must allow for this integration: the console's, in network
 * mode. A console usually sits on a private LAN, which the network guard refuses unless the
 * integration sets `allowPrivateAddress` (admin-scope keys only, DESIGN §9.10); the Site Manager is
 * public and never needs it. The integrations code allows exactly the hosts of URL-valued config
 * fields, which for UniFi is this one.
 */
export function unifiPrivateHost(config: UnifiConfig): string | undefined {
  return config.mode === 'network' ? new URL(config.consoleUrl).hostname : undefined;
}
