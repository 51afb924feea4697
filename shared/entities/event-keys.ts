import { createHash } from 'node:crypto';
import { newestFirstTimePrefix } from '../storage/keys';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A deterministic outbound event id for one change (docs/entity-sync.md, "Events"): the time part
 * from an instant the change carries, the rest from a hash of what the change is. Publishing the
 * same change again — a retried resync or resolve — names the same event, which the outbound
 * publish turns into a no-op, so subscribers hear of each change once.
 */
export function changeEventKey(atMs: number, change: string): string {
  const digest = createHash('sha256').update(change).digest();
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[digest[i]! % 32];
  return newestFirstTimePrefix(atMs) + tail;
}

/** A short stable id from parts (companies from their first link, conflicts from what they hold). */
export function stableId(prefix: string, ...parts: string[]): string {
  return prefix + createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
}
