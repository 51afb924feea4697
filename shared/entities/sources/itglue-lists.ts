import type { VendorSession } from '../../vendors/contract';
import type { ItGlueConfig, ItGlueCredentials } from '../../vendors/itglue/index';
import { ITGLUE_MAX_PAGE_SIZE, type ItGlueListedEntity, listItGluePage } from '../../vendors/itglue/listing';

export type ItGlueSession = VendorSession<ItGlueCredentials, ItGlueConfig>;

/** Stops a runaway listing: 20 pages of 1,000 records. */
const MAX_PAGES = 20;

/**
 * Every record of one IT Glue listing (JSON:API pages of 1,000, by `meta.next-page`) through the
 * sync engine's listing code, each turned into what entity sync keeps. Reads only: the hub never
 * writes to IT Glue.
 */
export async function listAllItGlue<T>(
  session: ItGlueSession,
  entity: ItGlueListedEntity,
  params: Record<string, string>,
  read: (row: Record<string, unknown>) => T | undefined,
): Promise<T[]> {
  const out: T[] = [];
  let pageNumber: number | undefined = 1;
  for (let pages = 0; pageNumber !== undefined && pages < MAX_PAGES; pages++) {
    const page = await listItGluePage(session, { entity, pageNumber, pageSize: ITGLUE_MAX_PAGE_SIZE, params });
    for (const row of page.rows) {
      const item = read(row);
      if (item !== undefined) out.push(item);
    }
    pageNumber = page.nextPage;
  }
  return out;
}
