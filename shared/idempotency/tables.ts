import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `idempotencykeys`: PartitionKey = the caller's tenant id (the operator's own partition for
 * tenant creation), RowKey = the escaped Idempotency-Key. One row per key: claimed `in_flight`
 * before the request runs, `completed` with the answer afterwards (docs/api.md, "Idempotent requests").
 */
export const idempotencyRecordSchema = z.object({
  /** requestFingerprint of the first request (shared/idempotency/fingerprint.ts). */
  fingerprint: z.string(),
  state: z.enum(['in_flight', 'completed']),
  /**
   * The id the create gives its resource, minted when the key is claimed: a retry after a crash
   * reuses it, so the create conflicts with itself instead of making a second resource.
   */
  resourceId: z.string(),
  /**
   * 18 random bytes (base64url) for a create whose id must be unguessable as well as fixed (an
   * inbound webhook's id is in its public URL). Kept server-side like everything in this row.
   */
  seed: z.string(),
  /** Until when an `in_flight` claim belongs to the request that made it (ms since the epoch). */
  leaseUntil: z.number(),
  /** After this instant the key is forgotten: a new request with it starts afresh. */
  expiresAt: z.string(),
  createdAt: z.string(),
  /** The first answer, once completed. `body` is absent when it did not fit a row: it is rebuilt. */
  status: z.number().int().optional(),
  headers: z.string().optional(),
  body: z.string().optional(),
});
export type IdempotencyRecord = z.infer<typeof idempotencyRecordSchema>;

/** `idempotencydays`: PartitionKey = the UTC day a key expires, RowKey = `<partition>|<row key>`; for housekeeping. */
export const idempotencyDaySchema = z.object({ expiresAt: z.string() });
export type IdempotencyDay = z.infer<typeof idempotencyDaySchema>;

export interface IdempotencyTables {
  keys: TableRepository<IdempotencyRecord>;
  days: TableRepository<IdempotencyDay>;
}

export function idempotencyTables(account: StorageAccount): IdempotencyTables {
  return {
    keys: new TableRepository(account, 'idempotencykeys', idempotencyRecordSchema),
    days: new TableRepository(account, 'idempotencydays', idempotencyDaySchema),
  };
}
