import { z } from 'zod';
import { nowMs } from '../clock';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';
import { countControl } from './control-counts';
import { readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import { MAX_RETRY_WAIT_MS } from './schedule';
import type { DeliveryRecord, EndpointHealthRecord, SubscriptionRecord } from './tables';

/**
 * Throttled subscriptions (docs/outbound.md, "Throttling"). A subscription with `rateLimitPerSecond`
 * sends on reserved slots: one row per subscription holds its theoretical arrival time (GCRA), and
 * each delivery reserves the slot `max(now, tat, notBefore)` while the row moves on by
 * `1000 / rate` ms, under the row's ETag (a lost race re-reads). Slots are at least one spacing
 * apart, so any half-open one-second window holds at most `rate` of them, whichever instance
 * reserved them. A delivery whose slot is ahead waits for it on the queue (the first attempt) or on
 * a Durable timer (a retry), then sends without reserving again. A receiver's 429 with Retry-After
 * sets `slowUntil` on the subscription's health row; a reservation never lands before it, so the
 * slowdown pushes the arrival time and what waited resumes at the rate, not in a burst.
 */

export const THROTTLE_WINDOW_MS = 1_000;
/**
 * A delivery back from its wait at most this late still sends on its reserved slot; later (a queue
 * that was slow to return it, a slot reserved before a pause) it reserves again, at the back.
 */
export const HELD_SLOT_GRACE_MS = 1_000;
/** Read-modify-write rounds on the subscription's row before the caller is told to come back. */
const RESERVE_ROUNDS = 12;

/** `outboundtasks`, RowKey = `throttle|<subscription id>`: the subscription's next free slot (ms). */
export const throttleRowSchema = z.object({ tat: z.number().nonnegative() });
export type ThrottleRow = z.infer<typeof throttleRowSchema>;

export function throttleRowKey(subscriptionId: string): string {
  return `throttle|${subscriptionId}`;
}

/** Reserves send slots for a rate-limited subscription (the composition root builds one per process). */
export interface SlotReserver {
  /**
   * The slot (epoch ms, at or after `notBefore` and now) reserved for one send of the subscription.
   * With `notAfter`, a slot later than it is answered but not reserved (the row does not move).
   */
  reserve(
    tenantId: string,
    subscriptionId: string,
    ratePerSecond: number,
    notBefore: number,
    notAfter?: number,
  ): Promise<number>;
}

interface Waiter {
  notBefore: number;
  notAfter?: number | undefined;
  resolve(slot: number): void;
  reject(error: unknown): void;
}

/**
 * Slot reservations on the `outboundtasks` table. Callers in one process that ask for the same
 * subscription while a write is in flight are served together by the next write: one conditional
 * update reserves them all, in the order they asked, so a burst of first attempts costs a few row
 * writes rather than one contended write each.
 */
export class SlotReservations implements SlotReserver {
  private readonly rows: TableRepository<ThrottleRow>;
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly writing = new Set<string>();

  constructor(account: StorageAccount, tableName = 'outboundtasks') {
    this.rows = new TableRepository(account, tableName, throttleRowSchema);
  }

  reserve(
    tenantId: string,
    subscriptionId: string,
    ratePerSecond: number,
    notBefore: number,
    notAfter?: number,
  ): Promise<number> {
    const key = `${tenantId}\n${subscriptionId}`;
    return new Promise<number>((resolve, reject) => {
      const list = this.waiting.get(key) ?? [];
      list.push({ notBefore, notAfter, resolve, reject });
      this.waiting.set(key, list);
      if (!this.writing.has(key)) void this.flush(key, tenantId, subscriptionId, ratePerSecond);
    });
  }

  private async flush(key: string, tenantId: string, subscriptionId: string, ratePerSecond: number): Promise<void> {
    this.writing.add(key);
    // Let the callers of this turn of the event loop join the write.
    await Promise.resolve();
    const batch = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    try {
      const spacing = THROTTLE_WINDOW_MS / ratePerSecond;
      let slots: number[] = [];
      await this.rows.update(
        tenantId,
        throttleRowKey(subscriptionId),
        (current) => {
          // Pure in its input: a lost race calls it again with the row as it now is.
          const now = nowMs();
          let tat = current?.tat ?? 0;
          slots = batch.map((w) => {
            const slot = Math.ceil(Math.max(now, tat, w.notBefore));
            // Too late for this caller: answered, not reserved, so the slot stays for someone else.
            if (w.notAfter !== undefined && slot > w.notAfter) return slot;
            tat = Math.max(now, tat, w.notBefore) + spacing;
            return slot;
          });
          return { tat };
        },
        { maxAttempts: RESERVE_ROUNDS },
      );
      for (const [i, w] of batch.entries()) w.resolve(slots[i] ?? nowMs());
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.writing.delete(key);
      if (this.waiting.has(key)) void this.flush(key, tenantId, subscriptionId, ratePerSecond);
    }
  }
}

/** The 429 slowdown in force for the subscription (epoch ms), or 0. */
export function slowUntilOf(health: EndpointHealthRecord | undefined): number {
  const at = health?.slowUntil ? Date.parse(health.slowUntil) : Number.NaN;
  return Number.isNaN(at) ? 0 : at;
}

/**
 * How long a send of `sub` must wait, or 0 to send now. `delivery.waitingUntil` is the slot a
 * delivery reserved before it went to wait: back on time (and with no slowdown since) it sends on
 * it without a new reservation. Otherwise a rate-limited subscription reserves a slot (never before
 * a 429's `slowUntil`), and one without a limit waits only for `slowUntil`. Throws when the row
 * stays contended, so the caller's message comes back rather than exceeding the limit.
 */
export async function firstAttemptWait(
  deps: OutboundDeps,
  tenantId: string,
  sub: { rowKey: string; value: SubscriptionRecord },
  health: EndpointHealthRecord | undefined,
  delivery?: Pick<DeliveryRecord, 'waitingUntil'>,
): Promise<number> {
  const now = nowMs();
  const slowUntil = slowUntilOf(health);
  const limit = sub.value.rateLimitPerSecond;
  if (!limit || !deps.throttle) {
    if (slowUntil <= now) return 0;
    await countControl(deps, tenantId, sub.rowKey, 'throttled');
    return slowUntil - now;
  }
  const held = delivery?.waitingUntil ? Date.parse(delivery.waitingUntil) : Number.NaN;
  if (!Number.isNaN(held) && slowUntil <= now) {
    if (held > now) return held - now; // a copy of the message back early: its slot is still ahead
    if (now - held <= HELD_SLOT_GRACE_MS) return 0;
  }
  const slot = await deps.throttle.reserve(tenantId, sub.rowKey, limit, slowUntil);
  const wait = Math.max(0, slot - now);
  if (wait > 0) await countControl(deps, tenantId, sub.rowKey, 'throttled');
  return wait;
}

/**
 * The wait before a manual send that must not wait past `maxWaitMs` (bulk retry, inside an HTTP
 * call): `reserved` with the wait on a slot reserved for it (0: send now), or not reserved when the
 * subscription's next slot (or its 429 slowdown) is further away — then `waitMs` says how far, the
 * row does not move, and the caller stops.
 */
export async function boundedSendWait(
  deps: OutboundDeps,
  tenantId: string,
  sub: { rowKey: string; value: SubscriptionRecord },
  health: EndpointHealthRecord | undefined,
  maxWaitMs: number,
): Promise<{ reserved: boolean; waitMs: number }> {
  const now = nowMs();
  const slowUntil = slowUntilOf(health);
  const limit = sub.value.rateLimitPerSecond;
  const latest = now + Math.max(0, maxWaitMs);
  const at =
    limit && deps.throttle ? await deps.throttle.reserve(tenantId, sub.rowKey, limit, slowUntil, latest) : slowUntil;
  const waitMs = Math.max(0, at - now);
  if (at > latest) return { reserved: false, waitMs };
  if (waitMs > 0) await countControl(deps, tenantId, sub.rowKey, 'throttled');
  return { reserved: true, waitMs };
}

/**
 * A 429 with Retry-After slows the subscription for every instance (never shortens a longer wait):
 * `slowUntil` on the health row, which every reservation reads as its earliest slot.
 */
export async function noteSlowDown(
  deps: OutboundDeps,
  tenantId: string,
  subscriptionId: string,
  retryAfterMs: number,
): Promise<void> {
  const until = nowMs() + Math.min(retryAfterMs, MAX_RETRY_WAIT_MS);
  await deps.tables.health.update(tenantId, subscriptionId, (current) => {
    const row: EndpointHealthRecord = current ?? { consecutiveFailures: 0 };
    if (row.slowUntil && Date.parse(row.slowUntil) >= until) return undefined;
    return { ...row, slowUntil: new Date(until).toISOString() };
  });
}

/**
 * The send-slot activity of the delivery orchestration (v2): a retry of a rate-limited subscription
 * reserves its slot (or waits for a 429's slowdown) like a first attempt. Null: send now. A retry
 * already recorded, or one whose delivery or subscription is gone, needs no slot (the attempt
 * activity settles it).
 */
export async function reserveRetrySlot(
  deps: OutboundDeps,
  input: { tenantId: string; deliveryId: string; k: number },
): Promise<{ at: string } | null> {
  const delivery = await readDelivery(deps, input.tenantId, input.deliveryId);
  if (!delivery || delivery.value.automaticAttempts >= input.k || delivery.value.status !== 'retrying') return null;
  const [sub, health] = await Promise.all([
    deps.tables.subscriptions.get(input.tenantId, delivery.value.subscriptionId),
    deps.tables.health.get(input.tenantId, delivery.value.subscriptionId),
  ]);
  if (!sub?.value.enabled) return null;
  const wait = await firstAttemptWait(deps, input.tenantId, sub, health?.value);
  return wait > 0 ? { at: new Date(nowMs() + wait).toISOString() } : null;
}
