import type { VendorSession } from '../vendors/contract';

/**
 * What the engine needs of a vendor (docs/sync.md, "Adapters"): the steps a request becomes, and
 * one page of one step at a time. Every vendor that holds companies, contacts, tickets or assets
 * fits this shape: Halo pages by number, Autotask by `nextPageUrl`, IT Glue by `page[number]`,
 * Pax8 by `page`, Datto RMM by `nextPageUrl`, Graph by `@odata.nextLink` — each is an opaque
 * cursor string here.
 */

export const SYNC_ENTITIES = ['clients', 'contacts', 'tickets', 'assets'] as const;
export type SyncEntity = (typeof SYNC_ENTITIES)[number];

export interface SyncFilters {
  /** Only records whose date field (`dateField`, default the vendor's opened date) is in [from, to]. */
  from?: string | undefined;
  to?: string | undefined;
  dateField?: 'opened' | 'closed' | undefined;
  /** Tickets: `all` walks open tickets first, then closed ones. */
  ticketStatus?: 'all' | 'open' | 'closed' | undefined;
  clientId?: number | undefined;
  includeInactive?: boolean | undefined;
  assetTypeIds?: number[] | undefined;
  siteId?: number | undefined;
}

/** One step of a run: an entity, and a variant of its listing (e.g. open then closed tickets). */
export interface SyncStep {
  entity: SyncEntity;
  variant?: string;
}

/** A record as the engine stores it. */
export interface SyncedRecord {
  vendorId: string;
  /** The vendor's last-updated instant, when it sends one. */
  updatedAt: string | undefined;
  fields: Record<string, unknown>;
  /** Flat copies the listing routes filter on. */
  index: { name?: string; clientId?: string; siteId?: string; statusId?: string; typeId?: string; inactive?: boolean };
}

/** Something wrong with a record that did not stop it being stored (or, without an id, stored at all). */
export interface DataQualityWarning {
  kind: 'missing_required' | 'null_value' | 'encoding' | 'missing_id' | 'truncated';
  field: string;
  vendorId: string | undefined;
}

export interface PageRequest {
  step: SyncStep;
  /** '' for the step's first page. */
  cursor: string;
  size: number;
  filters: SyncFilters;
  /** Incremental runs: the newest last-updated of the last completed run of this entity. */
  since: string | undefined;
}

export interface ListedPage {
  records: SyncedRecord[];
  warnings: DataQualityWarning[];
  /** Records the vendor sent that cannot be stored (no id). */
  failed: number;
  /** null: this was the step's last page. */
  nextCursor: string | null;
  /** What was asked of the vendor, for a run's debug log (no credentials). */
  requests: string[];
}

export interface SyncAdapter {
  vendor: string;
  entities: readonly SyncEntity[];
  steps(entities: readonly SyncEntity[], filters: SyncFilters): SyncStep[];
  listPage(session: VendorSession<unknown, unknown>, request: PageRequest): Promise<ListedPage>;
}
