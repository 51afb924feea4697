import type { Pax8Session } from '../../vendors/pax8/index';
import { listPax8Page, PAX8_MAX_PAGE_SIZE, type Pax8Listing } from '../../vendors/pax8/listing';

/** Stops a runaway listing: 20 pages of 200 records. */
const MAX_PAGES = 20;

/** Every record of one Pax8 listing (pages of 200 from page 0) through the sync engine's listing code. */
export async function listAllPax8<T>(
  session: Pax8Session,
  listing: Pax8Listing,
  read: (row: Record<string, unknown>) => T | undefined,
): Promise<T[]> {
  const out: T[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const got = await listPax8Page(session, listing, page, PAX8_MAX_PAGE_SIZE);
    for (const row of got.rows) {
      const item = read(row);
      if (item !== undefined) out.push(item);
    }
    const last = got.totalPages !== undefined ? page + 1 >= got.totalPages : got.rows.length < PAX8_MAX_PAGE_SIZE;
    if (last) break;
  }
  return out;
}
