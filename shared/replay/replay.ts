import { processCounters } from '../analytics/deps';
import type { Principal } from '../apikeys/principal';
import { type AuditEntry, recordAudit } from '../audit/audit-log';
import type { BusSender } from '../bus/port';
import { nowMs } from '../clock';
import { DomainError, isDomainError, ResourceNotFoundError } from '../errors/domain-error';
import { createEvent, loadEvent, loadEventRecord, payloadTextOf } from '../events/event-store';
import { enqueueValidation } from '../events/stage-messages';
import { recordReplayGuardHit } from '../observability/telemetry';
import type { TableClient, TransactionAction } from '../sdk/data-tables';
import type { StorageAccount } from '../storage/connection';
import { restStatus } from '../storage/errors';
import { newestFirstId, tenantPartition } from '../storage/keys';
import { ensureTable } from '../storage/provision';
import type { TableRepository } from '../storage/table-repository';
import { REPLAY_TABLE, type ReplayHistory, rateGuardSchema, replayHistoryTable, rootGuardSchema } from './tables';

/**
 * Replay (docs/design.md §6.10): the original payload as a brand-new event through the whole
 * pipeline, behind four guards checked in order — 422 confirmation for a succeeded original
 * (`force` bypasses only this one), 409 a replay of the same root in flight, 429 cooldown of the
 * root, 429 the tenant's rate. Acceptance is one entity-group transaction over the root guard and
 * the tenant's rate guard, conditional on both ETags: concurrent requests on any number of
 * instances agree on exactly one winner, and the losers re-read and meet the guard it set.
 */
export interface ReplayDeps {
  account: StorageAccount;
  audit: TableRepository<AuditEntry>;
  bus: () => BusSender;
}

export const REPLAY_COOLDOWN_MS = 5 * 60_000;
export const REPLAY_RATE_WINDOW_MS = 60_000;
export const REPLAY_RATE_LIMIT = 10;
/**
 * A guard naming a replay whose event row never appeared (its request died between the guard and
 * the event) stops counting as in flight after this long; the cooldown still applies.
 */
export const UNSTORED_REPLAY_STALE_MS = 60_000;
const MAX_ROUNDS = 50;

const ROOT_PREFIX = 'root|';
const RATE_ROW = 'rate';

type Row = Record<string, unknown> & { etag?: string };

async function read(client: TableClient, pk: string, rk: string): Promise<Row | undefined> {
  try {
    return (await client.getEntity<Record<string, unknown>>(pk, rk)) as Row;
  } catch (error) {
    if (restStatus(error).status === 404) return undefined;
    throw error;
  }
}

export interface ReplayOptions {
  force: boolean;
  trigger: 'manual' | 'bulk';
  correlationId: string;
}

export interface ReplayAccepted {
  eventId: string;
  replayOf: string;
}

export async function replayEvent(
  deps: ReplayDeps,
  caller: Principal,
  eventId: string,
  options: ReplayOptions,
): Promise<ReplayAccepted> {
  const tenantId = caller.tenantId;
  const original = await loadEventRecord(tenantId, eventId);
  if (!original) throw new ResourceNotFoundError('event', eventId);
  // Nothing to send again: the body is gone (docs/storage.md, "Payload retention and erasure").
  if (original.record.payloadErasedAt) {
    throw new DomainError('payload_erased', "This event's payload was erased, so it cannot be replayed.", {
      eventId,
      erasedAt: original.record.payloadErasedAt,
    });
  }
  const succeeded = original.record.status === 'succeeded';
  try {
    if (succeeded && !options.force) {
      throw new DomainError(
        'replay_confirmation_required',
        'This event succeeded; replaying it repeats its actions at the vendors. Repeat the request with ?force=true to replay anyway.',
        { eventId, status: original.record.status },
      );
    }
    const rootId = original.record.rootEventId;
    const client = deps.account.table(REPLAY_TABLE);
    await ensureTable(client);
    const pk = tenantId;
    let replayId: string | undefined;
    for (let round = 0; round < MAX_ROUNDS && !replayId; round++) {
      const [rootRow, rateRow] = await Promise.all([
        read(client, pk, ROOT_PREFIX + rootId),
        read(client, pk, RATE_ROW),
      ]);
      const now = nowMs();
      if (rootRow) {
        const guard = rootGuardSchema.parse({ ...rootRow, lastAcceptedAtMs: Number(rootRow['lastAcceptedAtMs']) });
        const last = await loadEvent(tenantId, guard.lastReplayId);
        const inFlight = last
          ? last.status === 'received' || last.status === 'processing'
          : now - guard.lastAcceptedAtMs < UNSTORED_REPLAY_STALE_MS;
        if (inFlight) {
          throw new DomainError(
            'replay_in_flight',
            `A replay of this event (${guard.lastReplayId}) is still in flight.`,
            {
              conflicting_replay_id: guard.lastReplayId,
            },
          );
        }
        const left = guard.lastAcceptedAtMs + REPLAY_COOLDOWN_MS - now;
        if (left > 0) {
          throw new DomainError(
            'replay_cooldown',
            `This event was replayed less than ${REPLAY_COOLDOWN_MS / 60_000} minutes ago; try again later.`,
            { last_replay_id: guard.lastReplayId },
            { retryAfterSeconds: left / 1000 },
          );
        }
      }
      const window = (
        rateRow ? rateGuardSchema.parse({ acceptedAtMs: JSON.parse(String(rateRow['acceptedAtMs'])) }).acceptedAtMs : []
      )
        .filter((t) => t > now - REPLAY_RATE_WINDOW_MS)
        .sort((a, b) => a - b);
      if (window.length >= REPLAY_RATE_LIMIT) {
        throw new DomainError(
          'replay_rate_limit',
          `This tenant accepted ${REPLAY_RATE_LIMIT} replays in the last minute; try again later.`,
          { limit: REPLAY_RATE_LIMIT, window_seconds: REPLAY_RATE_WINDOW_MS / 1000 },
          { retryAfterSeconds: (window[window.length - REPLAY_RATE_LIMIT]! + REPLAY_RATE_WINDOW_MS - now) / 1000 },
        );
      }
      const candidate = newestFirstId(now);
      const rootEntity = {
        partitionKey: pk,
        rowKey: ROOT_PREFIX + rootId,
        lastReplayId: candidate,
        lastAcceptedAtMs: String(now),
      };
      const rateEntity = {
        partitionKey: pk,
        rowKey: RATE_ROW,
        acceptedAtMs: JSON.stringify([...window.slice(-(REPLAY_RATE_LIMIT - 1)), now]),
      };
      const actions: TransactionAction[] = [
        rootRow ? ['update', rootEntity, 'Replace', { etag: String(rootRow.etag) }] : ['create', rootEntity],
        rateRow ? ['update', rateEntity, 'Replace', { etag: String(rateRow.etag) }] : ['create', rateEntity],
      ];
      try {
        await client.submitTransaction(actions);
        replayId = candidate;
      } catch (error) {
        const { status } = restStatus(error);
        // Someone else changed a guard since it was read: read again and meet what they set.
        if (status !== 409 && status !== 412 && status !== 404) throw error;
      }
    }
    if (!replayId) throw new DomainError('conflict', 'Too many concurrent replays; retry the request.');

    const { view } = await createEvent({
      eventId: replayId,
      tenantId,
      source: original.record.source,
      webhookId: original.record.webhookId,
      integrationId: original.record.integrationId,
      trigger: options.trigger,
      replayOf: eventId,
      rootEventId: rootId,
      correlationId: options.correlationId,
      dedupKey: null,
      bodyText: await payloadTextOf(original.record),
    });
    await replayHistoryTable(deps.account).upsert(tenantPartition(tenantId, 'of', eventId), replayId, {
      replayOf: eventId,
      at: view.receivedAt,
      trigger: options.trigger,
      forced: options.force && succeeded,
      actorKeyId: caller.keyId,
    });
    if (options.force && succeeded) {
      await recordAudit(deps.audit, tenantId, {
        action: 'event.replay_forced',
        actorKeyId: caller.keyId,
        targetType: 'event',
        targetId: eventId,
        correlationId: options.correlationId,
        details: { replayEventId: replayId },
      });
    }
    await enqueueValidation(deps, tenantId, replayId, original.record.source, options.correlationId);
    await count(tenantId, 'replay_accepted', '-');
    return { eventId: replayId, replayOf: eventId };
  } catch (error) {
    if (isDomainError(error) && error.code.startsWith('replay_')) {
      recordReplayGuardHit({ tenantId, guard: error.code });
      await count(tenantId, 'replay_guard', error.code);
    }
    throw error;
  }
}

function count(tenantId: string, outcome: string, code: string): Promise<void> {
  return processCounters().increment({
    tenantId,
    integrationType: 'inbound_webhook',
    integrationId: '-',
    outcome,
    code,
  });
}

export interface ReplayView {
  eventId: string;
  at: string;
  trigger: ReplayHistory['trigger'];
  forced: boolean;
}

/** The replays made of one event, newest first. */
export async function replaysOf(account: StorageAccount, tenantId: string, eventId: string): Promise<ReplayView[]> {
  const out: ReplayView[] = [];
  for await (const row of replayHistoryTable(account).iterate(tenantPartition(tenantId, 'of', eventId))) {
    out.push({ eventId: row.rowKey, at: row.value.at, trigger: row.value.trigger, forced: row.value.forced });
    if (out.length >= 100) break;
  }
  return out;
}

export type BulkItem =
  | { eventId: string; status: 202; replayEventId: string }
  | { eventId: string; status: number; code: string; detail: string; [key: string]: unknown };

/** Bulk replay: the same guards per item, in order; every accepted item counts toward the rate. */
export async function replayEvents(
  deps: ReplayDeps,
  caller: Principal,
  eventIds: string[],
  options: { force: boolean; correlationId: string },
  statusOf: (error: DomainError) => number,
): Promise<BulkItem[]> {
  const out: BulkItem[] = [];
  for (const eventId of eventIds) {
    try {
      const accepted = await replayEvent(deps, caller, eventId, { ...options, trigger: 'bulk' });
      out.push({ eventId, status: 202, replayEventId: accepted.eventId });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      out.push({
        eventId,
        status: statusOf(error),
        code: error.code,
        detail: error.message,
        ...error.details,
        ...(error.retryAfterSeconds !== undefined ? { retry_after_seconds: error.retryAfterSeconds } : {}),
      });
    }
  }
  return out;
}
