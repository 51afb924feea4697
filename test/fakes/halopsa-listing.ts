import type { FakeReply, FakeRequest } from './core/fake-server';

/**
 * Halo PSA listings for the sync engine (docs/sync.md): `GET /api/Tickets`, `/api/Client`,
 * `/api/Asset` and `/api/Users` (contacts) with Halo's paging (`pageinate`, `page_size` ≤ 100, `page_no`) and the filters the
 * sync sends (`open_only`, `closed_only`, `client_id`, `site_id`, `includeinactive`, `assettypes`,
 * `order`, `orderdesc`). Records are generated from their id, so 100,000 tickets cost a counter,
 * not memory; `touch` changes one (a new `last_update`), `flaw` gives one a data-quality problem.
 */

export type HaloListing = 'tickets' | 'clients' | 'assets' | 'users';

const LIST_KEY: Record<HaloListing, string> = {
  tickets: 'tickets',
  clients: 'clients',
  assets: 'assets',
  users: 'users',
};
const UPDATED_FIELD: Record<HaloListing, string> = {
  tickets: 'last_update',
  clients: 'alastupdate',
  assets: 'dlastupdate',
  users: 'ulastupdate',
};
/** Halo's `GET /Tickets` description: "Maximum size: 100". */
const MAX_PAGE_SIZE = 100;
const BASE_MS = Date.UTC(2026, 0, 1);

interface Seeded {
  count: number;
  /** Per-id changes on top of the generated record. */
  patches: Map<number, Record<string, unknown>>;
  /** Ids deleted at the vendor: no longer listed. */
  removed: Set<number>;
}

function generated(entity: HaloListing, id: number): Record<string, unknown> {
  const updated = new Date(BASE_MS + id * 1000).toISOString();
  switch (entity) {
    case 'tickets':
      return {
        id,
        summary: `Ticket ${id}`,
        client_id: 12 + (id % 2),
        site_id: 100 + (id % 3),
        // Every fifth ticket is closed (Halo's closed status id 9).
        status_id: id % 5 === 0 ? 9 : 1,
        dateoccurred: updated,
        last_update: updated,
      };
    case 'clients':
      return { id, name: `Client ${id}`, inactive: id % 10 === 0, alastupdate: updated };
    case 'assets':
      return {
        id,
        inventory_number: `INV-${id}`,
        client_id: 12 + (id % 2),
        site_id: 100 + (id % 3),
        assettype_id: 1 + (id % 4),
        inactive: id % 10 === 0,
        dlastupdate: updated,
      };
    case 'users':
      // Halo's end users: each under a client (12 or 13, as tickets are) and one of its sites.
      return {
        id,
        name: `User ${id}`,
        firstname: 'User',
        surname: String(id),
        emailaddress: `user${id}@client${12 + (id % 2)}.example`,
        phonenumber: `+44 20 7946 ${String(id % 10000).padStart(4, '0')}`,
        client_id: 12 + (id % 2),
        site_id: 100 + (id % 3),
        inactive: id % 10 === 0,
        ulastupdate: updated,
      };
  }
}

export class HaloListings {
  private readonly seeded = new Map<HaloListing, Seeded>();
  /** The ordered ids of a filter, kept between pages (a 100,000-record walk would otherwise be quadratic). */
  private readonly orderedIds = new Map<string, number[]>();

  /** Records 1..count of an entity (replaces what was seeded before). */
  seed(entity: HaloListing, count: number): void {
    this.seeded.set(entity, { count, patches: new Map(), removed: new Set() });
    this.orderedIds.clear();
  }

  has(entity: HaloListing): boolean {
    return this.seeded.has(entity);
  }

  /** A change at the vendor: fields replaced and `last_update` (or its kin) moved to `at`. */
  touch(entity: HaloListing, id: number, fields: Record<string, unknown>, at: Date): void {
    const s = this.must(entity);
    s.patches.set(id, { ...(s.patches.get(id) ?? {}), ...fields, [UPDATED_FIELD[entity]]: at.toISOString() });
    this.orderedIds.clear();
  }

  /** A data-quality problem on one record (fields replaced as given, e.g. `{summary: null}`). */
  flaw(entity: HaloListing, id: number, fields: Record<string, unknown>): void {
    const s = this.must(entity);
    s.patches.set(id, { ...(s.patches.get(id) ?? {}), ...fields });
    this.orderedIds.clear();
  }

  /** A record deleted at the vendor: listings no longer hold it. */
  remove(entity: HaloListing, id: number): void {
    this.must(entity).removed.add(id);
    this.orderedIds.clear();
  }

  /** A deleted record back again (a restore at the vendor). */
  restore(entity: HaloListing, id: number): void {
    this.must(entity).removed.delete(id);
    this.orderedIds.clear();
  }

  record(entity: HaloListing, id: number): Record<string, unknown> {
    return { ...generated(entity, id), ...(this.must(entity).patches.get(id) ?? {}) };
  }

  /** One record by id as `GET /api/Client/{id}` answers it (inactive ones too); undefined when gone. */
  one(entity: HaloListing, id: number): Record<string, unknown> | undefined {
    const s = this.must(entity);
    return id >= 1 && id <= s.count && !s.removed.has(id) ? this.record(entity, id) : undefined;
  }

  reply(entity: HaloListing, req: FakeRequest): FakeReply {
    const s = this.must(entity);
    const q = req.query;
    const matches = (r: Record<string, unknown>): boolean => {
      if (entity === 'tickets') {
        const closed = r.status_id === 9;
        if (q.open_only === 'true' && closed) return false;
        if (q.closed_only === 'true' && !closed) return false;
      }
      if (entity !== 'tickets' && q.includeinactive !== 'true' && r.inactive === true) return false;
      if (q.client_id !== undefined && String(r.client_id) !== q.client_id) return false;
      if (q.site_id !== undefined && String(r.site_id) !== q.site_id) return false;
      if (q.assettypes !== undefined && !q.assettypes.split(',').includes(String(r.assettype_id))) return false;
      return true;
    };
    const { page_no: _page, ...filters } = q;
    const signature = `${entity}?${new URLSearchParams(Object.entries(filters).sort()).toString()}`;
    let ids = this.orderedIds.get(signature);
    if (!ids) {
      ids = [];
      for (let id = 1; id <= s.count; id++) if (!s.removed.has(id) && matches(this.record(entity, id))) ids.push(id);
      const order = q.order?.toLowerCase();
      if (order === UPDATED_FIELD[entity]) {
        const at = new Map(ids.map((id) => [id, String(this.record(entity, id)[UPDATED_FIELD[entity]])]));
        const key = (id: number) => at.get(id) ?? '';
        ids.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b));
      }
      if (q.orderdesc === 'true') ids.reverse();
      this.orderedIds.set(signature, ids);
    }
    const paged = q.pageinate === 'true';
    const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(q.page_size ?? MAX_PAGE_SIZE) || MAX_PAGE_SIZE));
    const pageNo = Math.max(1, Number(q.page_no ?? 1) || 1);
    const slice = paged ? ids.slice((pageNo - 1) * size, pageNo * size) : ids.slice(0, MAX_PAGE_SIZE);
    return {
      json: {
        ...(paged ? { page_no: pageNo, page_size: size } : {}),
        record_count: ids.length,
        [LIST_KEY[entity]]: slice.map((id) => this.record(entity, id)),
      },
    };
  }

  private must(entity: HaloListing): Seeded {
    const s = this.seeded.get(entity);
    if (!s) throw new Error(`no Halo ${entity} seeded`);
    return s;
  }
}
