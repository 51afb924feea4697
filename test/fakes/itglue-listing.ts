import type { FakeReply, FakeRequest } from './core/fake-server';

/**
 * IT Glue listings for the sync engine (docs/sync.md, "IT Glue"): `GET /organizations`,
 * `/contacts` and `/configurations` with JSON:API paging (`page[number]`, `page[size]` ≤ 1000),
 * `sort` and the `filter[...]` parameters IT Glue's reference lists for each. A request outside
 * them — a page over 1000, a filter or sort the endpoint does not have, a malformed date range —
 * is refused with 400 and recorded, as IT Glue refuses it. Records are generated from their id;
 * `touch` changes one (a new `updated-at`), `flaw` gives one a data-quality problem.
 */

export type ItGlueListing = 'organizations' | 'contacts' | 'configurations';

const MAX_PAGE_SIZE = 1000;
const BASE_MS = Date.UTC(2026, 0, 1);

/** The filters and sorts IT Glue's reference documents per endpoint (its API reference, index actions). */
const ALLOWED_FILTERS: Record<ItGlueListing, readonly string[]> = {
  organizations: [
    'id',
    'name',
    'organization_type_id',
    'organization_status_id',
    'created_at',
    'updated_at',
    'my_glue_account_id',
    'psa_id',
    'psa_integration_type',
    'group_id',
    'primary',
    'exclude][id',
    'exclude][name',
    'exclude][organization_type_id',
    'exclude][organization_status_id',
    'range',
    'range][my_glue_account_id',
  ],
  contacts: [
    'id',
    'first_name',
    'last_name',
    'title',
    'contact_type_id',
    'important',
    'primary_email',
    'organization_id',
    'psa_id',
    'psa_integration_type',
  ],
  configurations: [
    'id',
    'name',
    'organization_id',
    'configuration_type_id',
    'configuration_status_id',
    'contact_id',
    'serial_number',
    'mac_address',
    'asset_tag',
    'psa_id',
    'psa_integration_type',
    'rmm_id',
    'rmm_integration_type',
    'archived',
  ],
};

const ALLOWED_SORTS: Record<ItGlueListing, readonly string[]> = {
  organizations: [
    'name',
    'id',
    'updated_at',
    'organization_status_name',
    'organization_type_name',
    'created_at',
    'short_name',
    'my_glue_account_id',
  ],
  contacts: ['first_name', 'last_name', 'id', 'created_at', 'updated_at'],
  configurations: ['name', 'id', 'created_at', 'updated-at'],
};

const TYPE: Record<ItGlueListing, string> = {
  organizations: 'organizations',
  contacts: 'contacts',
  configurations: 'configurations',
};

interface Seeded {
  count: number;
  patches: Map<number, Record<string, unknown>>;
}

function generated(entity: ItGlueListing, id: number): Record<string, unknown> {
  const updated = new Date(BASE_MS + id * 1000).toISOString();
  switch (entity) {
    case 'organizations':
      return { name: `Organisation ${id}`, 'organization-status-id': 1, 'created-at': updated, 'updated-at': updated };
    case 'contacts':
      return {
        'first-name': `First${id}`,
        'last-name': `Last${id}`,
        'organization-id': 1 + (id % 3),
        'contact-type-id': 1,
        'updated-at': updated,
      };
    case 'configurations':
      return {
        name: `CFG-${id}`,
        'organization-id': 1 + (id % 3),
        'configuration-type-id': 1 + (id % 4),
        'configuration-status-id': 1,
        archived: id % 10 === 0,
        'updated-at': updated,
      };
  }
}

/** Page `number` of `total` as IT Glue answers a list: the resources and the JSON:API paging meta. */
export function jsonApiPage(data: unknown[], number: number, total: number, count: number): FakeReply {
  return {
    headers: { 'Content-Type': 'application/vnd.api+json' },
    json: {
      data,
      meta: {
        'current-page': number,
        'next-page': number < total ? number + 1 : null,
        'prev-page': number > 1 ? number - 1 : null,
        'total-pages': total,
        'total-count': count,
      },
      links: {},
    },
  };
}

/** A refusal as IT Glue words one (JSON:API errors). */
export function itglueBadRequest(detail: string): FakeReply {
  return {
    status: 400,
    headers: { 'Content-Type': 'application/vnd.api+json' },
    json: { errors: [{ status: '400', title: 'Bad Request', detail }] },
  };
}

/** What is out of spec in a listing request, or undefined when it is in spec. */
export function itglueListingViolation(entity: ItGlueListing, query: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(query)) {
    if (name === 'page[number]') {
      if (!/^\d+$/.test(value) || Number(value) < 1) return `page[number] must be a positive integer, got ${value}`;
    } else if (name === 'page[size]') {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE_SIZE)
        return `page[size] must be between 1 and ${MAX_PAGE_SIZE}, got ${value}`;
    } else if (name === 'sort') {
      const key = value.replace(/^-/, '');
      if (!ALLOWED_SORTS[entity].includes(key)) return `sort ${value} is not supported on ${entity}`;
    } else if (name.startsWith('filter[') && name.endsWith(']')) {
      const filter = name.slice('filter['.length, -1);
      if (!ALLOWED_FILTERS[entity].includes(filter)) return `filter ${filter} is not supported on ${entity}`;
      if (filter === 'updated_at' || filter === 'created_at') {
        const parts = value.split(',');
        const valid = (p: string) => p === '*' || !Number.isNaN(Date.parse(p));
        if (parts.length !== 2 || !parts.every(valid)) return `filter[${filter}] must be a range "start,end"`;
      }
    } else if (name !== 'include') {
      return `parameter ${name} is not supported on ${entity}`;
    }
  }
  return undefined;
}

export class ItGlueListings {
  private readonly seeded = new Map<ItGlueListing, Seeded>();

  /** Records 1..count of a listing (replaces what was seeded before). */
  seed(entity: ItGlueListing, count: number): void {
    this.seeded.set(entity, { count, patches: new Map() });
  }

  has(entity: ItGlueListing): boolean {
    return this.seeded.has(entity);
  }

  /** A change at IT Glue: attributes replaced and `updated-at` moved to `at`. */
  touch(entity: ItGlueListing, id: number, attributes: Record<string, unknown>, at: Date): void {
    const s = this.must(entity);
    s.patches.set(id, { ...(s.patches.get(id) ?? {}), ...attributes, 'updated-at': at.toISOString() });
  }

  /** A data-quality problem on one record (attributes replaced as given, e.g. `{name: null}`). */
  flaw(entity: ItGlueListing, id: number, attributes: Record<string, unknown>): void {
    const s = this.must(entity);
    s.patches.set(id, { ...(s.patches.get(id) ?? {}), ...attributes });
  }

  attributes(entity: ItGlueListing, id: number): Record<string, unknown> {
    return { ...generated(entity, id), ...(this.must(entity).patches.get(id) ?? {}) };
  }

  reply(entity: ItGlueListing, req: FakeRequest): FakeReply {
    const s = this.must(entity);
    const q = req.query;
    const range = q['filter[updated_at]']?.split(',');
    const matches = (id: number, a: Record<string, unknown>): boolean => {
      if (q['filter[id]'] !== undefined && String(id) !== q['filter[id]']) return false;
      if (q['filter[name]'] !== undefined && String(a.name).toLowerCase() !== q['filter[name]'].toLowerCase())
        return false;
      if (q['filter[organization_id]'] !== undefined && String(a['organization-id']) !== q['filter[organization_id]'])
        return false;
      if (q['filter[archived]'] !== undefined && String(a.archived === true) !== q['filter[archived]']) return false;
      if (range) {
        const at = Date.parse(String(a['updated-at']));
        if (range[0] !== '*' && at < Date.parse(range[0]!)) return false;
        if (range[1] !== '*' && at > Date.parse(range[1]!)) return false;
      }
      return true;
    };
    const ids: number[] = [];
    for (let id = 1; id <= s.count; id++) if (matches(id, this.attributes(entity, id))) ids.push(id);
    const sort = q.sort ?? 'id';
    const key = sort.replace(/^-/, '');
    if (key === 'updated_at' || key === 'updated-at') {
      const at = (id: number) => String(this.attributes(entity, id)['updated-at']);
      ids.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : a - b));
    }
    if (sort.startsWith('-')) ids.reverse();
    const size = Number(q['page[size]'] ?? 50);
    const number = Number(q['page[number]'] ?? 1);
    const total = Math.max(1, Math.ceil(ids.length / size));
    const data = ids
      .slice((number - 1) * size, number * size)
      .map((id) => ({ id: String(id), type: TYPE[entity], attributes: this.attributes(entity, id) }));
    return jsonApiPage(data, number, total, ids.length);
  }

  private must(entity: ItGlueListing): Seeded {
    const s = this.seeded.get(entity);
    if (!s) throw new Error(`no IT Glue ${entity} seeded`);
    return s;
  }
}
