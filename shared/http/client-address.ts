import { isIPv4, isIPv6 } from 'node:net';
import { logger } from '../observability/logger';

/**
 * The client address a request came from, as a throttling bucket — never as an identity.
 *
 * Azure Functions (App Service front ends) and reverse proxies put it in `X-Forwarded-For`,
 * appending the address they saw to whatever the client sent, so only the right-most entry is the
 * one our own edge vouches for; everything to its left is the client's word and is never read,
 * however long it is (the local host appends the socket's address the same way). App Service
 * writes IPv4 as `a.b.c.d:port` and IPv6 as `[addr]:port`, so ports are stripped.
 *
 * IPv6 addresses are bucketed by their /64 prefix: one subscriber usually holds a whole /64, and
 * bucketing single addresses would let a client rotate through 2^64 of them.
 *
 * No usable right-most entry (no header, or garbage where the edge's entry should be) means the
 * request did not come through an edge that vouches for anything. Behind the platform edge a client
 * cannot produce that (the edge's entry is always last, whatever the client prepends), so such
 * requests share one `unattributed` bucket rather than being refused: one bucket per value would
 * hand out a fresh allowance per request, and refusing would turn a platform that forwards no
 * X-Forwarded-For into an outage of every authenticated route. The first such request per
 * process is logged, so a deployment that lands here is seen (docs/decisions.md §42).
 */
/** Longer than any `[IPv6]:port` the edge writes: a longer right-most entry is not the edge's. */
const MAX_ENTRY_LENGTH = 64;

/** The one bucket for requests no edge vouched for (see above). */
export const UNATTRIBUTED_BUCKET = 'unattributed';

let unattributedSeen = false;
function unattributed(): string {
  if (!unattributedSeen) {
    unattributedSeen = true;
    logger.warn(
      'a request carried no X-Forwarded-For entry from the platform edge; throttled in the shared unattributed bucket',
    );
  }
  return UNATTRIBUTED_BUCKET;
}

/** The request's throttling bucket: the edge's address, or the shared unattributed bucket. */
export function clientAddress(headers: { get(name: string): string | null }): string {
  let raw: string | null;
  try {
    raw = headers.get('x-forwarded-for');
  } catch {
    return unattributed();
  }
  if (typeof raw !== 'string') return unattributed();
  // Only the tail after the last comma is looked at: parsing cost does not grow with what the
  // client prepended, and nothing it prepended can change the result.
  const last = raw.slice(raw.lastIndexOf(',') + 1).trim();
  const bucket = last.length <= MAX_ENTRY_LENGTH ? addressBucket(last) : undefined;
  return bucket ?? unattributed();
}

/** `a.b.c.d`, `a.b.c.d:port`, `v6`, `[v6]` or `[v6]:port` → its bucket; undefined when none of these. */
export function addressBucket(entry: string): string | undefined {
  if (isIPv4(entry)) return entry;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  if (v4WithPort?.[1] && isIPv4(v4WithPort[1])) return v4WithPort[1];
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(entry);
  const v6 = bracketed?.[1] ?? entry;
  if (!isIPv6(v6)) return undefined;
  const mappedV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(v6);
  if (mappedV4?.[1] && isIPv4(mappedV4[1])) return mappedV4[1];
  return `${ipv6Prefix64(v6)}::/64`;
}

/** The first four 16-bit groups of an IPv6 address, lower case, without leading zeros. */
function ipv6Prefix64(address: string): string {
  // An embedded IPv4 tail only ever sits in the low 64 bits, which are dropped anyway.
  const withoutV4 = address.replace(/:\d{1,3}(?:\.\d{1,3}){3}$/, ':0:0');
  const [head = '', tail] = withoutV4.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':');
}
