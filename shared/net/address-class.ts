import { isIP } from 'node:net';

/**
 * What kind of destination an IP address is, for the outbound guard (docs/decisions.md "Outbound network guard"). Addresses are
 * compared as bytes against prefix tables, and IPv6 forms that carry an IPv4 address inside
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by that IPv4 address, so `::ffff:127.0.0.1`
 * is loopback however it is spelt.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'shared_address'
  | 'link_local'
  | 'metadata'
  | 'unspecified'
  | 'reserved';

interface Range {
  bytes: number[];
  prefix: number;
  kind: Exclude<AddressClass, 'public'>;
}

const v4 = (cidr: string, kind: Range['kind']): Range => {
  const [address = '', prefix = '32'] = cidr.split('/');
  return { bytes: address.split('.').map(Number), prefix: Number(prefix), kind };
};
const v6 = (cidr: string, kind: Range['kind']): Range => {
  const [address = '', prefix = '128'] = cidr.split('/');
  return { bytes: [...(ipv6Bytes(address) ?? [])], prefix: Number(prefix), kind };
};

// Order matters: the first match wins, so single cloud metadata addresses come before the blocks
// that contain them.
const IPV4_RANGES: Range[] = [
  v4('169.254.169.254/32', 'metadata'), // Azure IMDS, AWS, GCP, OpenStack
  v4('168.63.129.16/32', 'metadata'), // Azure WireServer (a public-looking address only the host answers)
  v4('100.100.100.200/32', 'metadata'), // Alibaba Cloud
  v4('0.0.0.0/8', 'unspecified'), // "this network"; connecting to 0.0.0.0 reaches the local machine
  v4('127.0.0.0/8', 'loopback'),
  v4('10.0.0.0/8', 'private'),
  v4('172.16.0.0/12', 'private'),
  v4('192.168.0.0/16', 'private'),
  v4('100.64.0.0/10', 'shared_address'), // carrier-grade NAT (RFC 6598); also Tailscale
  v4('169.254.0.0/16', 'link_local'),
  v4('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  v4('192.0.2.0/24', 'reserved'), // TEST-NET-1
  v4('198.18.0.0/15', 'reserved'), // benchmarking
  v4('198.51.100.0/24', 'reserved'), // TEST-NET-2
  v4('203.0.113.0/24', 'reserved'), // TEST-NET-3
  v4('224.0.0.0/4', 'reserved'), // multicast
  v4('240.0.0.0/4', 'reserved'), // future use and the broadcast address
];

const IPV6_RANGES: Range[] = [
  v6('fd00:ec2::254/128', 'metadata'), // AWS IMDS over IPv6
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('fc00::/7', 'private'), // unique local addresses
  v6('fec0::/10', 'private'), // deprecated site-local
  v6('fe80::/10', 'link_local'),
  v6('ff00::/8', 'reserved'), // multicast
  v6('100::/64', 'reserved'), // discard-only
  v6('2001::/32', 'reserved'), // Teredo tunnels reach arbitrary IPv4 hosts
  v6('2001:10::/28', 'reserved'), // ORCHID
  v6('2001:20::/28', 'reserved'), // ORCHIDv2
  v6('2001:db8::/32', 'reserved'), // documentation
];

/** IPv6 prefixes that carry an IPv4 address in their last four bytes. */
const EMBEDDED_IPV4: Range[] = [
  v6('::ffff:0:0/96', 'reserved'), // IPv4-mapped ::ffff:a.b.c.d
  v6('::ffff:0:0:0/96', 'reserved'), // IPv4-translated ::ffff:0:a.b.c.d (SIIT)
  v6('::/96', 'reserved'), // IPv4-compatible ::a.b.c.d (deprecated)
  v6('64:ff9b::/96', 'reserved'), // NAT64 well-known prefix
];
/** 6to4: 2002:WWXX:YYZZ::/48 carries the IPv4 address in bytes 2–5. */
const SIX_TO_FOUR = v6('2002::/16', 'reserved');
/**
 * NAT64 local-use prefix (RFC 8215): the operator picks a /48 … /96 inside it, and RFC 6052 puts
 * the IPv4 address in different bytes for each length (always skipping byte 8).
 */
const NAT64_LOCAL_USE = v6('64:ff9b:1::/48', 'reserved');
const NAT64_SHORTER_LAYOUTS = [
  [9, 10, 11, 12], // /64
  [7, 9, 10, 11], // /56
  [6, 7, 9, 10], // /48
];

function matches(bytes: readonly number[], range: Range): boolean {
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((range.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyBytes(bytes: readonly number[], ranges: Range[]): AddressClass {
  return ranges.find((r) => matches(bytes, r))?.kind ?? 'public';
}

/** The 16 bytes of an IPv6 address (with or without brackets, dotted IPv4 tail allowed). */
export function ipv6Bytes(text: string): number[] | undefined {
  let address = text.replace(/^\[|\]$/g, '');
  if (isIP(address) !== 6) return undefined;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    address = `${address.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const words = [...left, ...Array<string>(zeros).fill('0'), ...right].map((g) => Number.parseInt(g, 16));
  if (words.length !== 8) return undefined;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/**
 * Classify an IP address literal (IPv4 dotted quad or IPv6, brackets allowed). Returns undefined
 * for anything that is not an address literal: names are classified after resolution.
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return classifyBytes(bare.split('.').map(Number), IPV4_RANGES);
  if (family !== 6) return undefined;
  const bytes = ipv6Bytes(bare);
  if (!bytes) return undefined;
  const own = classifyBytes(bytes, IPV6_RANGES);
  if (own !== 'public' && own !== 'reserved') return own;
  const v4At = (positions: number[]) =>
    classifyBytes(
      positions.map((i) => bytes[i] ?? 0),
      IPV4_RANGES,
    );
  // ::/96 also holds :: and ::1, which the IPv6 table classified above.
  const judged = (inner: AddressClass) => (inner === 'public' ? own : inner);
  if (EMBEDDED_IPV4.some((range) => matches(bytes, range))) return judged(v4At([12, 13, 14, 15]));
  if (matches(bytes, SIX_TO_FOUR)) return judged(v4At([2, 3, 4, 5]));
  if (matches(bytes, NAT64_LOCAL_USE)) {
    // The /96 form (bytes 6–11 zero) names its IPv4 address unambiguously.
    if (bytes.slice(6, 12).every((b) => b === 0)) return judged(v4At([12, 13, 14, 15]));
    // Otherwise the prefix length is the operator's secret: any placement reading a blocked
    // address decides (zero bytes read as 0.x.x.x are layout noise, not a finding), and one that
    // reads no blocked address is still refused, since which IPv4 host it reaches is unknowable.
    for (const layout of NAT64_SHORTER_LAYOUTS) {
      const inner = v4At(layout);
      if (inner !== 'public' && inner !== 'unspecified') return inner;
    }
    return 'reserved';
  }
  return own;
}
