import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { nowMs } from '../clock';
import { restStatus } from '../storage/errors';
import { ensureTable } from '../storage/provision';

/**
 * Message-id duplicate detection for the storage-queue bus, the way Service Bus does it with
 * `requiresDuplicateDetection`: a second send of one message id inside the window is dropped.
 *
 * One row per (queue, message id). The row is written *before* the queue send, as `pending` with
 * the envelope, and marked `sent` after. That ordering is what keeps a crash from losing anything:
 * - crash after the row, before the queue send: the caller never got an ack and retries with the
 *   same id; the retry finds a `pending` row, waits briefly for its sender to finish, then claims
 *   it (ETag) and sends the stored envelope. A sweep (`stalePending`) re-sends rows whose sender
 *   never came back, so even a caller that never retries loses nothing.
 * - crash after the queue send, before `sent`: a retry re-sends, so one duplicate can slip through
 *   in that window. Handlers are idempotent (docs/design.md §6.5), so at-least-once is safe; a loss is not.
 * Concurrent senders of one id agree through the conditional insert and ETag claims.
 */
export interface DedupOptions {
  /** Service Bus' duplicateDetectionHistoryTimeWindow; rows older than this no longer block. */
  windowMs: number;
  /** A pending row whose claim is older than this (by the injected clock) is taken over at once. */
  pendingStaleMs: number;
  /** How long a duplicate sender waits for a fresh pending row to become `sent` before claiming it. */
  pendingWaitMs: number;
  pendingPollMs: number;
}

export type Reservation =
  | { action: 'duplicate' }
  | { action: 'send'; envelopeText: string; scheduledMs: number | undefined; acceptedAtMs: number; etag: string };

export interface PendingSend {
  queue: string;
  messageId: string;
  envelopeText: string;
  scheduledMs: number | undefined;
}

/** Table strings hold 32K UTF-16 characters; an envelope (up to 64 KiB) is split across properties. */
const CHUNK_CHARS = 30_000;

const rowSchema = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  etag: z.string(),
  messageId: z.string(),
  state: z.enum(['pending', 'sent']),
  acceptedAtMs: z.number(),
  claimedAtMs: z.number(),
  scheduledMs: z.number().optional(),
  envelopeParts: z.number().int().nonnegative().default(0),
});

type Row = z.infer<typeof rowSchema> & { envelopeText: string };

/** Row keys may not contain / \ # ? or control characters; message ids may, so they are hashed. */
export function dedupRowKey(messageId: string): string {
  return createHash('sha256').update(messageId, 'utf8').digest('hex');
}

function parseRow(raw: Record<string, unknown>): Row {
  const row = rowSchema.parse(raw);
  let envelopeText = '';
  for (let i = 0; i < row.envelopeParts; i++) {
    const part = raw[`envelope${i}`];
    if (typeof part !== 'string')
      throw new Error(`dedup row ${row.partitionKey}/${row.messageId} lost envelope part ${i}`);
    envelopeText += part;
  }
  return { ...row, envelopeText };
}

function envelopeProperties(text: string): Record<string, string | number> {
  const props: Record<string, string | number> = {};
  let parts = 0;
  for (let i = 0; i < text.length; i += CHUNK_CHARS) props[`envelope${parts++}`] = text.slice(i, i + CHUNK_CHARS);
  props['envelopeParts'] = parts;
  return props;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DedupLedger {
  constructor(
    private readonly table: TableClient,
    private readonly options: DedupOptions,
  ) {}

  /** Decide whether this send goes out, and with which envelope (a takeover sends the stored one). */
  async reserve(
    queue: string,
    messageId: string,
    envelopeText: string,
    scheduledMs: number | undefined,
  ): Promise<Reservation> {
    await ensureTable(this.table);
    const rowKey = dedupRowKey(messageId);
    const fresh = (at: number) => ({
      partitionKey: queue,
      rowKey,
      messageId,
      state: 'pending',
      acceptedAtMs: at,
      claimedAtMs: at,
      ...(scheduledMs !== undefined ? { scheduledMs } : {}),
      ...envelopeProperties(envelopeText),
    });
    const ours = (etag: string | undefined, at: number): Reservation => ({
      action: 'send',
      envelopeText,
      scheduledMs,
      acceptedAtMs: at,
      etag: etag ?? '*',
    });

    const polls = Math.ceil(this.options.pendingWaitMs / this.options.pendingPollMs);
    // Each pass either decides or observes someone else's progress; ETag races are bounded by the
    // number of concurrent senders, so the extra passes only guard against a runaway loop.
    for (let pass = 0; pass <= polls + 20; pass++) {
      // Create first: almost every id is new, so the common path is one conditional insert; only
      // a 409 costs the read that shows whose row it is.
      const existing = pass === 0 ? undefined : await this.read(queue, rowKey);
      const at = nowMs();
      if (!existing) {
        const created = await this.attempt(() => this.table.createEntity(fresh(at)));
        if (created) return ours(created.etag, at);
        continue;
      }
      if (at - existing.acceptedAtMs >= this.options.windowMs) {
        // Outside the detection window the id is new again, as on Service Bus.
        const replaced = await this.attempt(() =>
          this.table.updateEntity(fresh(at), 'Replace', { etag: existing.etag }),
        );
        if (replaced) return ours(replaced.etag, at);
        continue;
      }
      if (existing.state === 'sent') return { action: 'duplicate' };
      const stale = at - existing.claimedAtMs >= this.options.pendingStaleMs || pass >= polls;
      if (stale) {
        const claimed = await this.claim(existing, at);
        if (claimed) return claimed;
        continue;
      }
      await sleep(this.options.pendingPollMs);
    }
    throw new Error(`Duplicate detection for ${queue}/${messageId} did not settle; too many concurrent senders.`);
  }

  async markSent(
    queue: string,
    messageId: string,
    reservation: Extract<Reservation, { action: 'send' }>,
  ): Promise<void> {
    const at = nowMs();
    const entity = {
      partitionKey: queue,
      rowKey: dedupRowKey(messageId),
      messageId,
      state: 'sent',
      acceptedAtMs: reservation.acceptedAtMs,
      claimedAtMs: at,
      sentAtMs: at,
      envelopeParts: 0,
    };
    // Replace drops the stored envelope. A 412/404 means another sender took the row over (we were
    // slower than pendingStaleMs) or it expired; either way the message is out, nothing to undo.
    await this.attempt(() => this.table.updateEntity(entity, 'Replace', { etag: reservation.etag }));
  }

  /** Pending rows whose sender has not finished within pendingStaleMs: claimed here for re-sending. */
  async claimStalePending(): Promise<Array<PendingSend & { reservation: Extract<Reservation, { action: 'send' }> }>> {
    await ensureTable(this.table);
    const out: Array<PendingSend & { reservation: Extract<Reservation, { action: 'send' }> }> = [];
    const rows = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "state eq 'pending'" } });
    for await (const raw of rows) {
      const row = parseRow(raw);
      const at = nowMs();
      if (at - row.claimedAtMs < this.options.pendingStaleMs) continue;
      const claimed = await this.claim(row, at);
      if (claimed?.action === 'send') {
        out.push({
          queue: row.partitionKey,
          messageId: row.messageId,
          envelopeText: claimed.envelopeText,
          scheduledMs: claimed.scheduledMs,
          reservation: claimed,
        });
      }
    }
    return out;
  }

  /** Deletes `sent` rows older than the window; they no longer block anything. */
  async purgeExpired(): Promise<number> {
    await ensureTable(this.table);
    let purged = 0;
    const rows = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "state eq 'sent'" } });
    for await (const raw of rows) {
      const row = rowSchema.parse(raw);
      if (nowMs() - row.acceptedAtMs < this.options.windowMs) continue;
      if (await this.attempt(() => this.table.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag }))) purged++;
    }
    return purged;
  }

  private async claim(row: Row, at: number): Promise<Reservation | undefined> {
    const claimed = await this.attempt(() =>
      this.table.updateEntity({ partitionKey: row.partitionKey, rowKey: row.rowKey, claimedAtMs: at }, 'Merge', {
        etag: row.etag,
      }),
    );
    if (!claimed) return undefined;
    return {
      action: 'send',
      envelopeText: row.envelopeText,
      scheduledMs: row.scheduledMs,
      acceptedAtMs: row.acceptedAtMs,
      etag: claimed.etag ?? '*',
    };
  }

  private async read(queue: string, rowKey: string): Promise<Row | undefined> {
    try {
      return parseRow(await this.table.getEntity<Record<string, unknown>>(queue, rowKey));
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw error;
    }
  }

  /** Runs a conditional write; a lost race (409 exists, 412 changed, 404 gone) returns undefined. */
  private async attempt<T>(write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await write();
    } catch (error) {
      const { status } = restStatus(error);
      if (status === 409 || status === 412 || status === 404) return undefined;
      throw error;
    }
  }
}
