import { secretsEqual } from '../../shared/crypto/constant-time';
import type { FakeVendor } from './core/all-fakes';
import { type FakeRequest, FakeVendorServer } from './core/fake-server';
import { loadSlice } from './core/spec-check';

/**
 * Autotask PSA fake: the zone lookup on the "global" host and one zone under /ATServicesRest on the
 * same server. Checks the three auth headers on every zone call, answers ThresholdInformation with
 * a request count that grows with each authenticated call, errors as `{"errors": [...]}`.
 */
export const FAKE_AUTOTASK_CREDENTIALS = {
  username: 'hub-api@fake-autotask.example',
  secret: 'fake-autotask-secret',
  integrationCode: 'FAKEINTEGRATIONCODE0001',
};

export class AutotaskFake extends FakeVendorServer {
  /** Reported as the database's request threshold per hour. */
  threshold = 10_000;
  /** Requests already counted in the current hour before this fake started. */
  priorRequests = 0;

  constructor() {
    super('autotask', {
      errorBody: (_status, message) => ({ errors: [message] }),
      // Autotask answers a body it cannot accept with 500 and `{errors: [...]}`.
      spec: {
        slice: loadSlice('autotask'),
        prefix: '',
        caseInsensitive: true,
        refuse: (violations) => ({ status: 500, json: { errors: violations.map((v) => `${v.at} ${v.message}`) } }),
      },
    });
    this.route('GET', '/atservicesrest/V1.0/ZoneInformation', (req) => this.zone(req));
    this.route('GET', '/ATServicesRest/V1.0/ThresholdInformation', (req) =>
      this.authenticated(req, () => ({
        json: {
          externalRequestThreshold: this.threshold,
          requestThresholdTimeframe: 60,
          currentTimeframeRequestCount: this.priorRequests + this.zoneCalls(),
        },
      })),
    );
    // Tool-call endpoints: a note is `{TicketID, Title, Description, NoteType, Publish}` → `{itemId}`;
    // a ticket update is a PATCH of `{id, ...fields}` → `{itemId}`. Tests read `this.received(...)`.
    this.route('POST', '/ATServicesRest/V1.0/Tickets/:id/Notes', (req) =>
      this.authenticated(req, () => this.addNote(req)),
    );
    this.route('PATCH', '/ATServicesRest/V1.0/Tickets', (req) =>
      this.authenticated(req, () => {
        const id = Number((req.json as { id?: unknown } | undefined)?.id);
        return Number.isInteger(id) && id > 0
          ? { json: { itemId: id } }
          : { status: 500, json: { errors: ['The id field is required for an update.'] } };
      }),
    );
    // Webhook registration (a push from the hub): a TicketWebhook, its subscribed fields, delete.
    this.route('POST', '/ATServicesRest/V1.0/TicketWebhooks', (req) =>
      this.authenticated(req, () => this.createTicketWebhook(req)),
    );
    this.route('POST', '/ATServicesRest/V1.0/TicketWebhooks/:id/Fields', (req) =>
      this.authenticated(req, () => {
        const hook = this.ticketWebhooks.get(Number(req.params.id));
        const body = (req.json ?? {}) as Record<string, unknown>;
        if (!hook) return { status: 404, json: { errors: [`TicketWebhook ${req.params.id} was not found.`] } };
        if (String(body.webhookID) !== req.params.id || !Number.isInteger(body.fieldID)) {
          return { status: 500, json: { errors: ['webhookID must match the URL and fieldID is required.'] } };
        }
        hook.fieldIds.push(Number(body.fieldID));
        this.nextWebhookId += 1;
        return { json: { itemId: this.nextWebhookId } };
      }),
    );
    this.route('DELETE', '/ATServicesRest/V1.0/TicketWebhooks/:id', (req) =>
      this.authenticated(req, () => {
        const id = Number(req.params.id);
        if (!this.ticketWebhooks.delete(id)) {
          return { status: 404, json: { errors: [`TicketWebhook ${req.params.id} was not found.`] } };
        }
        return { json: { itemId: id } };
      }),
    );
    // Reconcile's listing: every TicketWebhook as Autotask's query answers it (`secretKey` is not returned).
    this.route('POST', '/ATServicesRest/V1.0/TicketWebhooks/query', (req) =>
      this.authenticated(req, () => {
        const items = [...this.ticketWebhooks].map(([id, hook]) => ({
          id,
          name: hook.name,
          webhookUrl: hook.webhookUrl,
          deactivationUrl: hook.deactivationUrl,
          isActive: hook.isActive,
          isSubscribedToCreateEvents: true,
          isSubscribedToUpdateEvents: hook.updates,
        }));
        return {
          json: {
            items,
            pageDetails: { count: items.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null },
          },
        };
      }),
    );
    this.route('POST', '/ATServicesRest/V1.0/Tickets/query', (req) =>
      this.authenticated(req, () => this.query('Tickets', req.json, 0)),
    );
    // The query API's other entities and its next pages, and time entries (tool calls).
    for (const entity of ['Companies', 'Resources', 'Contacts', 'ConfigurationItems'] as const) {
      this.route('POST', `/ATServicesRest/V1.0/${entity}/query`, (req) =>
        this.authenticated(req, () => this.query(entity, req.json, 0)),
      );
    }
    for (const entity of ['Tickets', 'Companies', 'Resources', 'Contacts', 'ConfigurationItems'] as const) {
      this.route('GET', `/ATServicesRest/V1.0/${entity}/query/next`, (req) =>
        this.authenticated(req, () => this.nextPage(entity, req)),
      );
    }
    this.route('POST', '/ATServicesRest/V1.0/TimeEntries', (req) =>
      this.authenticated(req, () => {
        const body = (req.json ?? {}) as Record<string, unknown>;
        if (body.ticketID !== undefined && !this.entities.Tickets.some((t) => t.id === body.ticketID)) {
          return { status: 500, json: { errors: [`Ticket ${String(body.ticketID)} was not found.`] } };
        }
        this.nextNoteId += 1;
        return { json: { itemId: this.nextNoteId } };
      }),
    );
  }

  /** What the query API finds; tests replace or grow these lists. */
  entities: Record<AutotaskQueryEntity, Array<Record<string, unknown>>> = {
    Tickets: [
      { id: 4711, ticketNumber: 'T20260101.0001', title: 'Printer offline', status: 1, companyID: 101, priority: 2 },
      { id: 4712, ticketNumber: 'T20260101.0002', title: 'Disk almost full', status: 8, companyID: 101, priority: 3 },
      {
        id: 4713,
        ticketNumber: 'T20260101.0003',
        title: 'Old laptop returned',
        status: 5,
        companyID: 102,
        priority: 4,
      },
    ],
    Companies: [
      { id: 101, companyName: 'Fake Customer Ltd', isActive: true, companyType: 1 },
      { id: 102, companyName: 'Former Customer plc', isActive: false, companyType: 1 },
    ],
    Resources: [
      { id: 29682885, firstName: 'Ada', lastName: 'Tech', email: 'ada@fake-msp.example', isActive: true },
      { id: 29682886, firstName: 'Bob', lastName: 'Left', email: 'bob@fake-msp.example', isActive: false },
    ],
    // Contacts carry isActive as 1/0, devices as a boolean (the entities' field types).
    Contacts: [
      {
        id: 30001,
        companyID: 101,
        firstName: 'Carla',
        lastName: 'Client',
        emailAddress: 'carla@fake-customer.example',
        isActive: 1,
      },
    ],
    ConfigurationItems: [
      { id: 40001, companyID: 101, productID: 7, referenceTitle: 'FILE01', serialNumber: 'SN-40001', isActive: true },
    ],
  };
  /** Records per page (Autotask's is MaxRecords, at most 500); tests lower it to see nextPageUrl. */
  pageSize = 500;

  /**
   * One page of a query: the filter applied (fields by name, ignoring case, as Autotask does; an
   * unknown field is refused), ordered by id, with `pageDetails.nextPageUrl` a GET of `query/next`
   * carrying the paging state and the search, as Autotask's next-page URLs do.
   */
  private query(entity: AutotaskQueryEntity, search: unknown, afterId: number): { status?: number; json: unknown } {
    const body = (search ?? {}) as { filter?: unknown; MaxRecords?: unknown; IncludeFields?: unknown };
    const filter = Array.isArray(body.filter) ? body.filter : [];
    if (filter.length === 0) return { status: 500, json: { errors: ['A filter is required for a query.'] } };
    const rows = this.entities[entity];
    const known = new Set([
      ...(ENTITY_FIELDS[entity] ?? []).map((k) => k.toLowerCase()),
      ...rows.flatMap((r) => Object.keys(r).map((k) => k.toLowerCase())),
    ]);
    const unknown = fieldsOf(filter).find((f) => !known.has(f.toLowerCase()));
    // A condition (not a group) needs the field it tests.
    if (conditionsOf(filter).some((c) => typeof c.field !== 'string' || c.field === '')) {
      return { status: 500, json: { errors: ['Every filter condition needs a field.'] } };
    }
    if (unknown) return { status: 500, json: { errors: [`Unable to find ${unknown} in the ${entity} entity.`] } };
    const size = Math.min(this.pageSize, typeof body.MaxRecords === 'number' ? body.MaxRecords : 500);
    const matching = rows
      .filter((row) => filter.every((f) => matches(row, f)))
      .sort((a, b) => Number(a.id) - Number(b.id))
      .filter((row) => Number(row.id) > afterId);
    const page = matching.slice(0, size);
    const include = Array.isArray(body.IncludeFields) ? body.IncludeFields.map((f) => String(f).toLowerCase()) : [];
    const items = page.map((row) =>
      include.length === 0
        ? row
        : Object.fromEntries(Object.entries(row).filter(([k]) => include.includes(k.toLowerCase()))),
    );
    const last = page.at(-1);
    const nextPageUrl =
      matching.length > size && last
        ? `${this.baseUrl}/ATServicesRest/V1.0/${entity}/query/next?${new URLSearchParams({
            paging: JSON.stringify({ pageSize: size, afterId: last.id }),
            search: JSON.stringify(body),
          })}`
        : null;
    return {
      json: { items, pageDetails: { count: items.length, requestCount: size, prevPageUrl: null, nextPageUrl } },
    };
  }

  private nextPage(entity: AutotaskQueryEntity, req: FakeRequest): { status?: number; json: unknown } {
    try {
      const paging = JSON.parse(req.query.paging ?? '') as { afterId?: unknown };
      const search = JSON.parse(req.query.search ?? '') as unknown;
      return this.query(entity, search, Number(paging.afterId));
    } catch {
      return { status: 500, json: { errors: ['The paging or search parameter is not valid.'] } };
    }
  }

  private nextNoteId = 9000;
  private nextWebhookId = 300;
  /** TicketWebhooks created through the API, by id. */
  readonly ticketWebhooks = new Map<
    number,
    {
      name: string;
      webhookUrl: string;
      deactivationUrl: string;
      secretKey: string;
      updates: boolean;
      fieldIds: number[];
      isActive: boolean;
    }
  >();

  /**
   * What Autotask does when it turns a webhook off (after repeated failed deliveries): marks it
   * inactive and posts `Action: "Deactivated"` to its deactivation URL, unsigned. Returns the status.
   */
  async deactivate(id: number): Promise<number> {
    const hook = this.ticketWebhooks.get(id);
    if (!hook) throw new Error(`no TicketWebhook ${id}`);
    hook.isActive = false;
    const response = await fetch(hook.deactivationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Action: 'Deactivated', Guid: crypto.randomUUID(), EntityType: 'Ticket', Id: id }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** A webhook with no subscribed fields never fires (Autotask's webhooks guide). */
  wouldFire(id: number): boolean {
    const hook = this.ticketWebhooks.get(id);
    return hook?.isActive === true && hook.fieldIds.length > 0;
  }

  private createTicketWebhook(req: FakeRequest): { status?: number; json: unknown } {
    const body = (req.json ?? {}) as Record<string, unknown>;
    for (const field of ['name', 'webhookUrl', 'secretKey'] as const) {
      if (typeof body[field] !== 'string' || body[field] === '') {
        return { status: 500, json: { errors: [`${field} is required.`] } };
      }
    }
    this.nextWebhookId += 1;
    this.ticketWebhooks.set(this.nextWebhookId, {
      name: String(body.name),
      webhookUrl: String(body.webhookUrl),
      deactivationUrl: String(body.deactivationUrl),
      secretKey: String(body.secretKey),
      updates: body.isSubscribedToUpdateEvents === true,
      fieldIds: [],
      isActive: body.isActive === true,
    });
    return { json: { itemId: this.nextWebhookId } };
  }

  private addNote(req: FakeRequest): { status?: number; json: unknown } {
    const body = (req.json ?? {}) as Record<string, unknown>;
    if (String(body.TicketID) !== req.params.id) {
      return { status: 500, json: { errors: ['TicketID in the body does not match the ticket in the URL.'] } };
    }
    if (typeof body.Description !== 'string' || body.Description === '') {
      return { status: 500, json: { errors: ['Description is required.'] } };
    }
    this.nextNoteId += 1;
    return { json: { itemId: this.nextNoteId } };
  }

  /** Calls against the zone (the zone lookup itself is not metered). */
  private zoneCalls(): number {
    return this.requests.filter((r) => /^\/ATServicesRest\/V1\.0\//i.test(r.path) && !/ZoneInformation$/i.test(r.path))
      .length;
  }

  private zone(req: FakeRequest) {
    const user = req.query.user ?? '';
    if (user.toLowerCase() !== FAKE_AUTOTASK_CREDENTIALS.username.toLowerCase()) {
      return { status: 404, json: { errors: [`Zone information could not be determined for user ${user}.`] } };
    }
    return {
      json: { zoneName: 'Fake Zone 1', url: `${this.baseUrl}/ATServicesRest/`, webUrl: `${this.baseUrl}/`, ci: 1 },
    };
  }

  private authenticated(req: FakeRequest, ok: () => { status?: number; json: unknown }) {
    const code = req.headers.apiintegrationcode;
    if (!code || !secretsEqual(code, FAKE_AUTOTASK_CREDENTIALS.integrationCode)) {
      return {
        status: 401,
        json: { errors: ['The API tracking identifier (ApiIntegrationCode) is missing or invalid.'] },
      };
    }
    const userOk = (req.headers.username ?? '').toLowerCase() === FAKE_AUTOTASK_CREDENTIALS.username.toLowerCase();
    if (!userOk || !secretsEqual(req.headers.secret ?? '', FAKE_AUTOTASK_CREDENTIALS.secret)) {
      return { status: 401, json: { errors: ['User authentication failed: the UserName or Secret is not valid.'] } };
    }
    return this.threaded(req, ok);
  }

  /**
   * Autotask's thread limit: three requests in flight per tracking identifier and endpoint (the
   * entity after `V1.0/`); a fourth is refused with 429 at once. The wording of that refusal is not
   * published: the fake uses Autotask's `{errors}` shape.
   */
  static readonly THREADS = 3;
  /** Most requests seen in flight at once for one identifier and endpoint. */
  maxThreads = 0;
  /** Requests refused for the thread limit. */
  threadRefusals = 0;
  private readonly inFlight = new Map<string, number>();
  private held: Promise<void> | undefined;
  private releaseHeld: (() => void) | undefined;
  private heldWaiters: Array<{ count: number; resolve: () => void }> = [];

  /** Holds authenticated requests in flight until `release()`, so tests can see them overlap. */
  hold(): void {
    this.held = new Promise((resolve) => {
      this.releaseHeld = resolve;
    });
  }

  release(): void {
    this.releaseHeld?.();
    this.held = undefined;
  }

  /** Resolves once `count` requests are in flight for one identifier and endpoint. */
  inFlightReaches(count: number): Promise<void> {
    if (Math.max(0, ...this.inFlight.values()) >= count) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.push({ count, resolve }));
  }

  private async threaded(req: FakeRequest, ok: () => { status?: number; json: unknown }) {
    const entity = /\/v1\.0\/([^/?#]+)/i.exec(req.path)?.[1]?.toLowerCase() ?? '';
    const key = `${req.headers.apiintegrationcode}|${entity}`;
    const now = (this.inFlight.get(key) ?? 0) + 1;
    if (now > AutotaskFake.THREADS) {
      this.threadRefusals += 1;
      return { status: 429, json: { errors: [`Thread threshold of ${AutotaskFake.THREADS} exceeded for ${entity}.`] } };
    }
    this.inFlight.set(key, now);
    this.maxThreads = Math.max(this.maxThreads, now);
    this.heldWaiters = this.heldWaiters.filter((w) => {
      if (w.count > now) return true;
      w.resolve();
      return false;
    });
    try {
      if (this.held) await this.held;
      return ok();
    } finally {
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    }
  }
}

export type AutotaskQueryEntity = 'Tickets' | 'Companies' | 'Resources' | 'Contacts' | 'ConfigurationItems';

/**
 * Fields each entity has whether or not the seeded rows carry them (the Autotask entity references),
 * so a filter on one is answered, not refused as unknown; an unknown field is refused as Autotask does.
 */
const ENTITY_FIELDS: Partial<Record<AutotaskQueryEntity, readonly string[]>> = {
  Companies: ['id', 'companyName', 'companyType', 'isActive', 'phone', 'webAddress', 'lastActivityDate', 'createDate'],
  Contacts: [
    'id',
    'companyID',
    'companyLocationID',
    'firstName',
    'lastName',
    'emailAddress',
    'isActive',
    'lastActivityDate',
    'lastModifiedDate',
    'createDate',
  ],
  Tickets: [
    'id',
    'ticketNumber',
    'title',
    'status',
    'priority',
    'companyID',
    'companyLocationID',
    'createDate',
    'completedDate',
    'lastActivityDate',
  ],
  ConfigurationItems: [
    'id',
    'companyID',
    'companyLocationID',
    'productID',
    'configurationItemType',
    'referenceTitle',
    'serialNumber',
    'isActive',
    'lastModifiedTime',
    'createDate',
  ],
};

/** The conditions of a filter, groups opened. */
function conditionsOf(filter: unknown[]): QueryCondition[] {
  return filter.flatMap((raw) => {
    const c = raw as QueryCondition;
    if (c.op === 'and' || c.op === 'or') return Array.isArray(c.items) ? conditionsOf(c.items) : [];
    return [c];
  });
}

/** Autotask compares datetimes as datetimes: two ISO-looking strings order by instant, else as numbers. */
function compare(have: unknown, want: unknown): number {
  const isDate = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v);
  if (isDate(have) && isDate(want)) return Date.parse(String(have)) - Date.parse(String(want));
  return Number(have) - Number(want);
}

interface QueryCondition {
  op?: unknown;
  field?: unknown;
  value?: unknown;
  items?: unknown;
}

function fieldsOf(filter: unknown[]): string[] {
  return filter.flatMap((raw) => {
    const c = raw as QueryCondition;
    if (Array.isArray(c.items)) return fieldsOf(c.items);
    return typeof c.field === 'string' ? [c.field] : [];
  });
}

/** Autotask's filter operators over one record (field names ignore case). */
function matches(row: Record<string, unknown>, raw: unknown): boolean {
  const c = raw as QueryCondition;
  if (c.op === 'and' || c.op === 'or') {
    const items = Array.isArray(c.items) ? c.items : [];
    return c.op === 'and' ? items.every((i) => matches(row, i)) : items.some((i) => matches(row, i));
  }
  const key = Object.keys(row).find((k) => k.toLowerCase() === String(c.field).toLowerCase());
  const have = key === undefined ? undefined : row[key];
  const want = c.value;
  const text = (v: unknown) => String(v ?? '').toLowerCase();
  switch (c.op) {
    case 'eq':
      return have === want || text(have) === text(want);
    case 'noteq':
      return !(have === want || text(have) === text(want));
    case 'gt':
      return compare(have, want) > 0;
    case 'gte':
      return compare(have, want) >= 0;
    case 'lt':
      return compare(have, want) < 0;
    case 'lte':
      return compare(have, want) <= 0;
    case 'contains':
      return text(have).includes(text(want));
    case 'beginsWith':
      return text(have).startsWith(text(want));
    case 'endsWith':
      return text(have).endsWith(text(want));
    case 'exist':
      return have !== undefined && have !== null;
    case 'notExist':
      return have === undefined || have === null;
    case 'in':
      return Array.isArray(want) && want.some((w) => text(w) === text(have));
    case 'notIn':
      return Array.isArray(want) && !want.some((w) => text(w) === text(have));
    default:
      return false;
  }
}

export const autotaskFake: FakeVendor = {
  create: () => new AutotaskFake(),
  credentials: FAKE_AUTOTASK_CREDENTIALS,
  config: (baseUrl) => ({ baseUrl }),
};
