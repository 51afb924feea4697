import type { BusSender } from '../bus/port';
import { nowMs } from '../clock';
import { eventPartition, indexPartition, tables } from '../events/event-store';
import { enqueueValidation } from '../events/stage-messages';
import { newestFirstIdTime, timeBucket, timeBucketsBetween } from '../storage/keys';

/**
 * The resume of a paused inbound webhook (docs/webhooks-receiving.md, "Pause and resume"). While
 * paused, receive verifies and stores each delivery as a `held` event (with its `status=held`
 * index row) and sends no validation message. The resume moves each held event of the webhook to
 * `received` under its ETag, oldest first, and sends its validation message, so the pipeline takes
 * them in received order. A crash after a move leaves a `received` event with no message, which the
 * stuck-event sweep sends again; a held event not yet moved is found by the next resume.
 */

/** Held events one resume call releases; a larger backlog answers `more: true` (resume again). */
export const MAX_RELEASED_PER_CALL = 1_000;
/** Deliveries held just before the pause flag was seen by every instance (its cache) are covered. */
const LOOKBACK_MS = 86_400_000;

export interface HeldRelease {
  released: number;
  more: boolean;
}

export async function releaseHeldEvents(
  deps: { bus: () => BusSender },
  tenantId: string,
  webhookId: string,
  pausedAt: string | null,
): Promise<HeldRelease> {
  const now = nowMs();
  const fromMs = pausedAt ? Math.max(0, Date.parse(pausedAt) - LOOKBACK_MS) : now - LOOKBACK_MS;
  // Oldest day first; inside a day the newest-first ids are walked in reverse.
  const days = timeBucketsBetween(fromMs, now, 'day').reverse();
  let released = 0;
  for (const day of days) {
    const ids: string[] = [];
    for await (const row of tables().index.iterate(indexPartition(tenantId, 'status', 'held', day)))
      ids.push(row.rowKey);
    ids.sort().reverse();
    for (const id of ids) {
      if (released >= MAX_RELEASED_PER_CALL) return { released, more: true };
      if (await releaseHeldEvent(deps, tenantId, webhookId, id)) released++;
    }
  }
  return { released, more: false };
}

/**
 * One held event of the webhook to `received` under its ETag, its held index row removed and its
 * validation message sent. False when it was not (or no longer) held: another releaser moved it.
 * Also used by receive for an event it held while a resume on another instance was passing by.
 */
export async function releaseHeldEvent(
  deps: { bus: () => BusSender },
  tenantId: string,
  webhookId: string,
  id: string,
): Promise<boolean> {
  let movedHere = false;
  const moved = await tables().events.update(eventPartition(tenantId, id), id, (current) => {
    movedHere = current?.status === 'held' && current.webhookId === webhookId;
    return movedHere && current
      ? { ...current, status: 'received', updatedAt: new Date(nowMs()).toISOString() }
      : undefined;
  });
  if (!movedHere || !moved) return false;
  await tables().index.delete(indexPartition(tenantId, 'status', 'held', timeBucket(newestFirstIdTime(id), 'day')), id);
  await enqueueValidation(deps, tenantId, id, moved.value.source, moved.value.correlationId);
  return true;
}
