import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `replays` (docs/design.md §4, §6.10). Guard records share one partition per tenant so a replay's guards
 * are updated in one entity-group transaction — atomic across both rows, conditional on both ETags:
 * - `root|<rootEventId>`: the last accepted replay of that root and when (in-flight and cooldown),
 * - `rate`: the acceptance times of the tenant's last replays (the 60 s sliding window).
 * Times are stored as decimal strings / JSON (no Int64 round-trip through the SDK's Edm objects).
 * Replay history rows (PartitionKey `tenant|of|<eventId>`, RowKey = replay event id) list the
 * replays of an event for its detail view.
 */
export const REPLAY_TABLE = 'replays';

export const rootGuardSchema = z.object({ lastReplayId: z.string(), lastAcceptedAtMs: z.number() });
export type RootGuard = z.infer<typeof rootGuardSchema>;

export const rateGuardSchema = z.object({ acceptedAtMs: z.array(z.number()) });
export type RateGuard = z.infer<typeof rateGuardSchema>;

export const replayHistorySchema = z.object({
  replayOf: z.string(),
  at: z.string(),
  trigger: z.enum(['manual', 'bulk']),
  forced: z.boolean(),
  actorKeyId: z.string(),
});
export type ReplayHistory = z.infer<typeof replayHistorySchema>;

export function replayHistoryTable(account: StorageAccount): TableRepository<ReplayHistory> {
  return new TableRepository(account, REPLAY_TABLE, replayHistorySchema);
}
