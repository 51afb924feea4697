import type * as Dns from 'node:dns';
import { isIP } from 'node:net';
import type { Settings } from '../config/settings';
import { DomainError } from '../errors/domain-error';
import { type AddressClass, classifyAddress } from './address-class';
import { isThisMachine, reservedLocalPorts } from './reserved-ports';

/** node:dns costs several milliseconds to load and only an outbound call needs it (cold start). */
let dnsModule: typeof Dns | undefined;
function dns(): typeof Dns {
  dnsModule ??= require('node:dns') as typeof Dns;
  return dnsModule;
}

/**
 * The one outbound-URL guard (docs/decisions.md "Outbound network guard"): vendor
 * base URLs, subscription URLs and anything else the hub calls go through it. A URL is judged on its
 * scheme and userinfo first, then on every address its host resolves to; guardedFetch applies the
 * same address rule again inside the connection's own DNS lookup and to the socket's peer, so a name
 * that changes its answer between the check and the connect (DNS rebinding) is still refused.
 */
export interface NetworkPolicy {
  allowHttp: boolean;
  allowLoopback: boolean;
  allowPrivate: boolean;
  /** exact hosts or IPs allowed even if private (UniFi console opt-in) */
  allowedPrivateHosts: readonly string[];
  /**
   * Hosts whose TLS certificate is a per-integration matter (a UniFi console's self-signed one):
   * with `sha256` set, the leaf certificate must have exactly that fingerprint instead of chaining
   * to a public CA; without it, normal verification applies and a failure is reported as
   * `certificate_untrusted` (a configuration signal) rather than a network error.
   */
  certificatePins?: readonly CertificatePin[];
  /**
   * Ports of this machine never to be reached, whatever else is allowed: the local host's own
   * listener and its storage emulator (shared/net/reserved-ports.ts). Read at connect time.
   */
  reservedLocalPorts?: ReadonlySet<number>;
}

export interface CertificatePin {
  host: string;
  /** SHA-256 of the leaf certificate (DER) as upper-case hex pairs joined by colons; see normalizeFingerprint. */
  sha256?: string;
}

/**
 * `AB:CD:…` (64 hex digits, upper case, colon-separated: how node's `fingerprint256` and browsers
 * spell it) from hex with or without colons or spaces; undefined when it is not a SHA-256.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

/** The pin entry for `host` (normalised), if the policy has one. */
export function certificatePinFor(policy: NetworkPolicy, host: string): CertificatePin | undefined {
  return policy.certificatePins?.find((pin) => normalizeHost(pin.host) === host);
}

export type BlockReason =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'https_required'
  | 'userinfo_not_allowed'
  | 'unresolvable'
  | 'reserved_port'
  | CertificateBlockReason
  | Exclude<AddressClass, 'public'>;

/** The TLS refusals: never an address matter, so the address checks never produce them. */
export type CertificateBlockReason = 'certificate_mismatch' | 'certificate_untrusted';

const REASON_TEXT: Record<BlockReason, string> = {
  invalid_url: 'it is not a valid absolute URL',
  scheme_not_allowed: 'only http and https URLs can be called',
  https_required: 'https is required',
  userinfo_not_allowed: 'URLs with a user name or password are not accepted; send credentials in headers',
  unresolvable: 'the host name does not resolve',
  reserved_port: "it points at the hub's own host or its storage on this machine",
  certificate_mismatch: 'its TLS certificate does not match the pinned SHA-256 fingerprint',
  certificate_untrusted:
    'its TLS certificate is not trusted (self-signed or from an unknown authority) and no SHA-256 fingerprint is pinned for it',
  loopback: 'it points at this machine (loopback)',
  private: 'it points at a private network address',
  shared_address: 'it points at a carrier-grade NAT (100.64.0.0/10) address',
  link_local: 'it points at a link-local address',
  metadata: 'it points at a cloud metadata service',
  unspecified: 'it points at an unspecified address (0.0.0.0 or ::)',
  reserved: 'it points at a reserved, documentation or multicast address',
};

/** An outbound URL the policy refuses; `details` carry the host and reason, never path or query. */
export class OutboundUrlBlockedError extends DomainError {
  constructor(
    readonly host: string,
    readonly reason: BlockReason,
  ) {
    super(
      'outbound_url_blocked',
      host
        ? `Calls to ${host} are not allowed: ${REASON_TEXT[reason]}.`
        : `The URL is not allowed: ${REASON_TEXT[reason]}.`,
      { host, reason },
    );
  }
}

/** Whether a guard reason (carried as a vendor error's `vendorCode`) is a certificate refusal. */
export function isCertificateReason(reason: string | undefined): reason is CertificateBlockReason {
  return reason === 'certificate_mismatch' || reason === 'certificate_untrusted';
}

/** dns.lookup's shape with `all: true`; tests inject one to make a name resolve where they need. */
export type DnsLookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemDnsLookup: DnsLookup = (hostname) =>
  new Promise((resolve, reject) => {
    dns().lookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/**
 * development: http + loopback + private allowed, except the ports this machine reserves for the hub
 * itself; production: https only, public addresses only.
 */
export function networkPolicyFromSettings(
  settings: Pick<Settings, 'HUB_ENVIRONMENT'>,
  extra: { allowedPrivateHosts?: readonly string[]; certificatePins?: readonly CertificatePin[] } = {},
): NetworkPolicy {
  const development = settings.HUB_ENVIRONMENT === 'development';
  return {
    allowHttp: development,
    allowLoopback: development,
    allowPrivate: development,
    allowedPrivateHosts: (extra.allowedPrivateHosts ?? []).map(normalizeHost),
    // Production never reaches this machine at all; development must not reach the hub's own ports.
    ...(development ? { reservedLocalPorts: reservedLocalPorts() } : {}),
    ...(extra.certificatePins?.length
      ? { certificatePins: extra.certificatePins.map((pin) => ({ ...pin, host: normalizeHost(pin.host) })) }
      : {}),
  };
}

/** Lower case, no brackets, no trailing dot: the form hosts are compared in. */
export function normalizeHost(host: string): string {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  // Spell IP literals the way the URL parser does, so "::FFFF:10.0.0.1" and "[::ffff:a00:1]" agree.
  if (isIP(bare) === 6) return new URL(`http://[${bare}]/`).hostname.replace(/^\[|\]$/g, '');
  return bare;
}

function optedIn(host: string, address: string, policy: NetworkPolicy): boolean {
  const peer = normalizeHost(address);
  return policy.allowedPrivateHosts.some((entry) => {
    const allowed = normalizeHost(entry);
    return allowed === host || allowed === peer;
  });
}

/**
 * The address rule, shared by the URL check and the connection hooks: `host` is the URL's host
 * (normalised), `address` one address it resolved to. Returns the reason to refuse, or undefined.
 */
export function addressVerdict(host: string, address: string, policy: NetworkPolicy): BlockReason | undefined {
  const kind = classifyAddress(address);
  if (kind === undefined) return 'unresolvable';
  switch (kind) {
    case 'public':
      return undefined;
    case 'loopback':
      return policy.allowLoopback ? undefined : kind;
    case 'private':
    case 'shared_address':
      return policy.allowPrivate || optedIn(host, address, policy) ? undefined : kind;
    case 'link_local':
      return policy.allowPrivate ? undefined : kind;
    case 'metadata':
    case 'unspecified':
    case 'reserved':
      // Never reachable, not even in development: nothing the hub calls lives there.
      return kind;
  }
}

/**
 * The port rule: `address:port` is refused when the port is one this machine reserves for the hub
 * and the address is this machine. Applied wherever the port is known: the URL (IP literals and
 * localhost names), registration-time resolution, and the socket's peer after connecting.
 */
export function portVerdict(address: string, port: number, policy: NetworkPolicy): BlockReason | undefined {
  if (!policy.reservedLocalPorts?.has(port)) return undefined;
  return isThisMachine(address) ? 'reserved_port' : undefined;
}

/** The port a URL connects to: its own, or its scheme's default. */
export function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** Names the host resolver must never be asked about: they are this machine by definition (RFC 6761). */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

export interface ParsedTarget {
  url: URL;
  /** Normalised host: lower case, no brackets. */
  host: string;
}

/** The checks that need no DNS: URL shape, scheme, userinfo, and IP-literal hosts. */
export function checkUrlSyntax(raw: string, policy: NetworkPolicy): ParsedTarget {
  let url: URL;
  try {
    // The WHATWG parser is also what undici uses, so checker and client read the same host; it
    // turns decimal, octal and hex IPv4 spellings (2130706433, 0177.1, 0x7f.1) into dotted quads.
    url = new URL(raw);
  } catch {
    throw new OutboundUrlBlockedError('', 'invalid_url');
  }
  const host = normalizeHost(url.hostname);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new OutboundUrlBlockedError(host, 'scheme_not_allowed');
  if (url.protocol === 'http:' && !policy.allowHttp) throw new OutboundUrlBlockedError(host, 'https_required');
  if (url.username || url.password) throw new OutboundUrlBlockedError(host, 'userinfo_not_allowed');
  if (!host) throw new OutboundUrlBlockedError('', 'invalid_url');
  if (isLocalhostName(host) && !policy.allowLoopback) throw new OutboundUrlBlockedError(host, 'loopback');
  if (isIP(host)) {
    const reason = addressVerdict(host, host, policy) ?? portVerdict(host, effectivePort(url), policy);
    if (reason) throw new OutboundUrlBlockedError(host, reason);
  }
  if (isLocalhostName(host) && portVerdict('127.0.0.1', effectivePort(url), policy)) {
    throw new OutboundUrlBlockedError(host, 'reserved_port');
  }
  return { url, host };
}

/**
 * Refuse a resolved address list when any member is refused (the connection could use any); with
 * `port`, also any member that is this machine on a reserved port.
 */
export function checkResolved(host: string, addresses: readonly string[], policy: NetworkPolicy, port?: number): void {
  if (addresses.length === 0) throw new OutboundUrlBlockedError(host, 'unresolvable');
  for (const address of addresses) {
    const reason = addressVerdict(host, address, policy) ?? (port ? portVerdict(address, port, policy) : undefined);
    if (reason) throw new OutboundUrlBlockedError(host, reason);
  }
}

/**
 * Throws OutboundUrlBlockedError unless `url` may be called under `policy`: scheme, userinfo, and
 * every address the host resolves to now. For registration-time validation; guardedFetch checks
 * again at connect time, which is the check that counts.
 */
export async function assertOutboundUrlAllowed(
  url: string,
  policy: NetworkPolicy,
  options: { lookup?: DnsLookup } = {},
): Promise<void> {
  const { url: parsed, host } = checkUrlSyntax(url, policy);
  if (isIP(host)) return;
  let addresses: { address: string }[];
  try {
    addresses = await (options.lookup ?? systemDnsLookup)(host);
  } catch {
    throw new OutboundUrlBlockedError(host, 'unresolvable');
  }
  checkResolved(
    host,
    addresses.map((a) => a.address),
    policy,
    effectivePort(parsed),
  );
}
