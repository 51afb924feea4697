import { createHash } from 'node:crypto';
import { escapeKey, tenantPartition } from '../storage/keys';
import { MAX_TRANSACTION_OPERATIONS, type Stored, type TableRepository } from '../storage/table-repository';
import type { DataQualityWarning, SyncEntity, SyncedRecord } from './adapter';
import type { SyncRecordRow } from './tables';

/**
 * The record store (docs/sync.md, "Records"): one row per vendor record, so a record seen twice is
 * one row. Writing a page tells created, updated and skipped apart by what the row held before —
 * and a row this very page already wrote (a re-delivered page after a crash) counts as it counted
 * the first time, so a replay never double-counts.
 */

/** Table Storage holds at most 64 KiB in one string property; JSON over this is stored as a projection. */
const MAX_DATA_CHARS = 30_000;
/** A page's rows are read back as one key range unless the range holds far more than the page. */
const RANGE_READ_FACTOR = 3;

export function recordPartition(tenantId: string, integrationId: string, entity: SyncEntity): string {
  return tenantPartition(tenantId, integrationId, entity);
}

/** Numeric ids zero-padded so they sort as numbers (a page of ascending ids is one key range). */
export function recordKey(vendorId: string): string {
  return /^\d{1,15}$/.test(vendorId) ? vendorId.padStart(15, '0') : `s${escapeKey(vendorId)}`;
}

export interface PageCounts {
  created: number;
  updated: number;
  skipped: number;
}

function hashOf(data: string): string {
  return createHash('sha256').update(data).digest('base64url');
}

function storedData(record: SyncedRecord, warnings: DataQualityWarning[]): string {
  const whole = JSON.stringify(record.fields);
  if (whole.length <= MAX_DATA_CHARS) return whole;
  warnings.push({ kind: 'truncated', field: '*', vendorId: record.vendorId });
  return JSON.stringify({ id: record.fields.id, ...record.index, truncated: true });
}

async function existingRows(
  table: TableRepository<SyncRecordRow>,
  partition: string,
  keys: string[],
): Promise<Map<string, Stored<SyncRecordRow>>> {
  const found = new Map<string, Stored<SyncRecordRow>>();
  if (keys.length === 0) return found;
  const sorted = [...keys].sort();
  const wanted = new Set(keys);
  let read = 0;
  let complete = true;
  // `!` sorts after the end of any key equal to the last one: the range includes it.
  for await (const row of table.iterate(partition, { rowKeyFrom: sorted[0], rowKeyTo: `${sorted.at(-1)}!` })) {
    if (wanted.has(row.rowKey)) found.set(row.rowKey, row);
    if (++read > keys.length * RANGE_READ_FACTOR) {
      complete = false;
      break;
    }
  }
  if (complete) return found;
  // Scattered ids (an incremental run, newest first): read each row instead of a huge range.
  const rows = await Promise.all(keys.map((key) => table.get(partition, key)));
  found.clear();
  for (const row of rows) if (row) found.set(row.rowKey, row);
  return found;
}

/**
 * Upserts one page of records in entity-group transactions (at most 100 rows each, one partition)
 * and returns what the page did. `pageId` names the page (`run:page`); rows this page wrote before
 * a crash keep the outcome they were written with.
 */
export async function writePage(
  table: TableRepository<SyncRecordRow>,
  partition: string,
  pageId: string,
  records: SyncedRecord[],
  warnings: DataQualityWarning[],
  syncedAt: string,
): Promise<PageCounts> {
  const counts: PageCounts = { created: 0, updated: 0, skipped: 0 };
  // The last copy of an id wins when a vendor repeats one inside a page.
  const byKey = new Map<string, SyncedRecord>();
  for (const record of records) byKey.set(recordKey(record.vendorId), record);
  const existing = await existingRows(table, partition, [...byKey.keys()]);
  const writes: { rowKey: string; value: SyncRecordRow }[] = [];
  for (const [rowKey, record] of byKey) {
    const data = storedData(record, warnings);
    const hash = hashOf(data);
    const before = existing.get(rowKey)?.value;
    let outcome: 'created' | 'updated';
    if (before?.writtenBy === pageId) outcome = before.outcome;
    else if (before === undefined) outcome = 'created';
    else if (before.hash === hash) {
      counts.skipped++;
      continue;
    } else outcome = 'updated';
    counts[outcome]++;
    writes.push({
      rowKey,
      value: {
        vendorId: record.vendorId,
        vendorUpdatedAt: record.updatedAt ?? '',
        hash,
        data,
        writtenBy: pageId,
        outcome,
        syncedAt,
        ...record.index,
      },
    });
  }
  const batches: (typeof writes)[] = [];
  for (let i = 0; i < writes.length; i += MAX_TRANSACTION_OPERATIONS)
    batches.push(writes.slice(i, i + MAX_TRANSACTION_OPERATIONS));
  await Promise.all(
    batches.map((batch) =>
      table.transact(
        partition,
        batch.map((w) => ({ op: 'upsert' as const, rowKey: w.rowKey, value: w.value })),
      ),
    ),
  );
  return counts;
}
