import type { M365Session } from '../../vendors/microsoft365/index';
import { listM365Page, type M365Listing } from '../../vendors/microsoft365/sync-listing';

/** Stops a runaway listing: 20 Graph pages. */
const MAX_PAGES = 20;

/**
 * Every record of one Graph listing (customer tenants or the configured tenant's users), following
 * `@odata.nextLink` through the sync engine's listing code, which refuses a link to another host.
 */
export async function listAllGraph<T>(
  session: M365Session,
  listing: M365Listing,
  size: number,
  read: (row: Record<string, unknown>) => T | undefined,
): Promise<T[]> {
  const out: T[] = [];
  let link: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await listM365Page(session, listing, size, link);
    for (const row of page.rows) {
      const item = read(row);
      if (item !== undefined) out.push(item);
    }
    link = page.nextLink;
    if (link === undefined) break;
  }
  return out;
}
