import { randomBytes } from 'node:crypto';
import { nowMs } from '../clock';
import { DomainError } from '../errors/domain-error';
import { AlreadyExistsError, ConflictError } from '../storage/errors';
import { escapeKey, newestFirstId, timeBucket } from '../storage/keys';
import type { IdempotencyRecord, IdempotencyTables } from './tables';

export interface IdempotencyDeps {
  tables: IdempotencyTables;
  /** IDEMPOTENCY_KEY_RETENTION_HOURS in milliseconds. */
  retentionMs: number;
  /**
   * How long a claim belongs to the request that made it. Longer than any request may run (Azure
   * cuts HTTP requests at 230 s), so a takeover only ever follows a request that died.
   */
  leaseMs: number;
}

/** A claim this request holds: the row as written, with the ETag that proves it still holds it. */
export interface Claim {
  partition: string;
  rowKey: string;
  etag: string;
  record: IdempotencyRecord;
}

export type ClaimOutcome =
  /** The key is new (or expired): run the request. */
  | { kind: 'fresh'; claim: Claim }
  /** The first request died holding the key: look for what it created before running it again. */
  | { kind: 'resumed'; claim: Claim }
  /** The first request completed: answer what it answered. */
  | { kind: 'completed'; record: IdempotencyRecord };

export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request; use a new key for a new request.',
    );
  }
}

export class IdempotencyKeyInFlightError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      'idempotency_key_in_flight',
      'The first request with this Idempotency-Key is still running; retry once it has answered.',
      {},
      { retryAfterSeconds },
    );
  }
}

const CLAIM_ROUNDS = 5;
/** An in-flight answer suggests a short wait, not the whole lease: the first request is usually quick. */
const IN_FLIGHT_RETRY_SECONDS = 1;

function freshRecord(deps: IdempotencyDeps, fingerprint: string, at: number): IdempotencyRecord {
  return {
    fingerprint,
    state: 'in_flight',
    resourceId: newestFirstId(at),
    seed: randomBytes(18).toString('base64url'),
    leaseUntil: at + deps.leaseMs,
    expiresAt: new Date(at + deps.retentionMs).toISOString(),
    createdAt: new Date(at).toISOString(),
  };
}

/** The day row first: a crash after it leaves a row housekeeping drops, never a key it cannot find. */
async function insertFresh(
  deps: IdempotencyDeps,
  partition: string,
  rowKey: string,
  record: IdempotencyRecord,
  etag: string | undefined,
): Promise<Claim> {
  const expiresMs = Date.parse(record.expiresAt);
  await deps.tables.days.upsert(timeBucket(expiresMs, 'day'), `${escapeKey(partition)}|${rowKey}`, {
    expiresAt: record.expiresAt,
  });
  const stored = etag
    ? await deps.tables.keys.replace(partition, rowKey, record, etag)
    : await deps.tables.keys.insert(partition, rowKey, record);
  return { partition, rowKey, etag: stored.etag, record };
}

/**
 * Claims `key` in `partition` for a request with `fingerprint`: an insert-if-absent of an in-flight
 * row, so of any number of concurrent requests exactly one runs. The others meet the row and get
 * the first answer (completed), 409 (still running), 422 (a different request) or, when the
 * claim's lease ran out because its request died, take the claim over under its ETag.
 */
export async function claimKey(
  deps: IdempotencyDeps,
  partition: string,
  key: string,
  fingerprint: string,
): Promise<ClaimOutcome> {
  const rowKey = escapeKey(key);
  for (let round = 1; round <= CLAIM_ROUNDS; round++) {
    const at = nowMs();
    const existing = await deps.tables.keys.get(partition, rowKey);
    try {
      if (!existing) {
        return {
          kind: 'fresh',
          claim: await insertFresh(deps, partition, rowKey, freshRecord(deps, fingerprint, at), undefined),
        };
      }
      const current = existing.value;
      if (Date.parse(current.expiresAt) <= at) {
        // Forgotten: the key starts afresh, with a new resource id.
        const record = freshRecord(deps, fingerprint, at);
        return { kind: 'fresh', claim: await insertFresh(deps, partition, rowKey, record, existing.etag) };
      }
      if (current.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
      if (current.state === 'completed') return { kind: 'completed', record: current };
      if (current.leaseUntil > at) throw new IdempotencyKeyInFlightError(IN_FLIGHT_RETRY_SECONDS);
      const record: IdempotencyRecord = { ...current, leaseUntil: at + deps.leaseMs };
      const stored = await deps.tables.keys.replace(partition, rowKey, record, existing.etag);
      return { kind: 'resumed', claim: { partition, rowKey, etag: stored.etag, record } };
    } catch (error) {
      // Another request wrote the row between our read and our write: read it again.
      if (error instanceof AlreadyExistsError || error instanceof ConflictError) continue;
      throw error;
    }
  }
  throw new IdempotencyKeyInFlightError(IN_FLIGHT_RETRY_SECONDS);
}

/** The answer as stored for replays. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  /** Undefined: no body, or one too large for a row (rebuilt from the resource on replay). */
  body: string | undefined;
}

/** A string property holds 64 KiB (32K UTF-16 units); leave room for the rest of the row. */
const MAX_STORED_BODY_CHARS = 30_000;

/**
 * Completes the claim with the answer. Under the claim's ETag: if the lease ran out and another
 * request took over, that one completes the key and this write is dropped (its answer is the same
 * resource's). Returns whether this request's answer was recorded.
 */
export async function completeClaim(deps: IdempotencyDeps, claim: Claim, answer: StoredAnswer): Promise<boolean> {
  const body = answer.body !== undefined && answer.body.length <= MAX_STORED_BODY_CHARS ? answer.body : undefined;
  const record: IdempotencyRecord = {
    ...claim.record,
    state: 'completed',
    status: answer.status,
    headers: JSON.stringify(answer.headers),
    ...(body !== undefined ? { body } : {}),
  };
  try {
    await deps.tables.keys.replace(claim.partition, claim.rowKey, record, claim.etag);
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}

/**
 * Gives the key back after the request was refused (a problem answer changes nothing), so a
 * corrected retry with the same key runs. Under the claim's ETag, like completeClaim.
 */
export async function releaseClaim(deps: IdempotencyDeps, claim: Claim): Promise<void> {
  try {
    await deps.tables.keys.delete(claim.partition, claim.rowKey, claim.etag);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}
