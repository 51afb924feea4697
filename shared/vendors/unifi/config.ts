import { z } from 'zod';
import { type CertificatePin, normalizeFingerprint } from '../../net/guard';

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

/** Hex with or without colons or spaces, any case; stored as node and browsers print it (`AB:CD:…`). */
const certificateSha256 = z.string().transform((text, ctx) => {
  const normalized = normalizeFingerprint(text);
  if (normalized === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a SHA-256 fingerprint: 64 hex digits, colons optional' });
    return z.NEVER;
  }
  return normalized;
});

const networkConfig = z
  .strictObject({
    mode: z.literal('network'),
    /** The console's address, e.g. https://192.168.1.1 or https://unifi.example.com. */
    consoleUrl: z.url(),
    /**
     * The console certificate's SHA-256 fingerprint. Set, it replaces CA verification for the
     * console's host with an exact match (consoles ship self-signed certificates); admin scope only.
     */
    certificateSha256: certificateSha256.optional(),
  })
  .refine((config) => config.certificateSha256 === undefined || new URL(config.consoleUrl).protocol === 'https:', {
    message: 'certificateSha256 needs an https consoleUrl',
    path: ['certificateSha256'],
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
 * integration sets `allowPrivateAddress` (admin-scope keys only, docs/design.md §9.10); the Site Manager is
 * public and never needs it. The integrations code allows exactly the hosts of URL-valued config
 * fields, which for UniFi is this one.
 */
export function unifiPrivateHost(config: UnifiConfig): string | undefined {
  return config.mode === 'network' ? new URL(config.consoleUrl).hostname : undefined;
}

/**
 * The console's certificate pin for the network guard, in network mode over https: with the
 * fingerprint when one is set; without it the entry still marks the host, so an untrusted
 * certificate is reported as a configuration matter (pin it) instead of a network failure.
 */
export function unifiCertificatePin(config: UnifiConfig): CertificatePin | undefined {
  if (config.mode !== 'network') return undefined;
  const url = new URL(config.consoleUrl);
  if (url.protocol !== 'https:') return undefined;
  return config.certificateSha256 !== undefined
    ? { host: url.hostname, sha256: config.certificateSha256 }
    : { host: url.hostname };
}
