import { nowMs } from '../clock';
import { escapeKey, timeBucket, unescapeKey } from '../storage/keys';
import { eventDeps } from './deps';

const days = () => eventDeps().tables.days;

/**
 * The cross-tenant list of tenant-days that hold inbound rows (`eventdays`). Housekeeping walks a
 * day's row here to learn which tenants' partitions to visit, so neither retention nor the stuck
 * sweep ever scans `events` across tenants.
 *
 * The row is written before the first event or rejection of a tenant-day lands, and remembered per
 * instance afterwards: the receive path pays one extra write per tenant per day per instance, not
 * one per delivery. A crash between the two writes leaves a day row with nothing under it, which
 * costs housekeeping one empty partition read; the reverse (rows without a day row) cannot happen.
 */
const noted = new Set<string>();
const MAX_NOTED = 20_000;

export async function noteEventDay(tenantId: string, atMs: number): Promise<void> {
  const day = timeBucket(atMs, 'day');
  const key = `${day}|${tenantId}`;
  if (noted.has(key)) return;
  await days().upsert(day, escapeKey(tenantId), { at: new Date(nowMs()).toISOString() });
  if (noted.size >= MAX_NOTED) noted.clear();
  noted.add(key);
}

/** Tenants with inbound rows on `day` (YYYYMMDD). */
export async function* tenantsOfDay(day: string): AsyncGenerator<string> {
  for await (const row of days().iterate(day)) yield unescapeKey(row.rowKey);
}

/** The day holds nothing more for this tenant (retention emptied it). */
export async function forgetEventDay(tenantId: string, day: string): Promise<void> {
  await days().delete(day, escapeKey(tenantId));
  noted.delete(`${day}|${tenantId}`);
}

/** Tests: forget what this instance has written (a fresh instance). */
export function resetNotedEventDays(): void {
  noted.clear();
}
