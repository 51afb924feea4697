/**
 * Table Storage in process memory, behind the subset of the SDK's TableClient that the hub uses
 * (TableRepository, the bus dedup ledger, replay guards). It exists so unit tests run the real
 * repositories — their zod checks, ETags, cursors and transactions — without Azurite. The
 * behaviour copied is the service's as the code relies on it, and one contract suite holds both to
 * it (test/support/contracts/table-repository-contract.ts; docs/testing.md):
 * - 409 EntityAlreadyExists on create, 404 ResourceNotFound on get/update/delete of an absent row,
 *   412 UpdateConditionNotSatisfied on a stale ETag; every write gets a new ETag;
 * - typed properties come back as the SDK gives them: Int64 as bigint, DateTime as Date;
 * - lists walk PartitionKey then RowKey ascending, filtered by the OData subset the code writes
 *   (eq ne gt ge lt le, and or not, parentheses; string, number, boolean and datetime literals), in
 *   pages of at most `maxPageSize` with a continuation token;
 * - a transaction is one partition, all or nothing, failing with the status of its first failing
 *   write.
 */

type Scalar = string | number | boolean | bigint | Date | Uint8Array;

/** A property as stored: its value and Edm type, as the service keeps it. */
type Cell =
  | { type: 'String'; value: string }
  | { type: 'Boolean'; value: boolean }
  | { type: 'Int32' | 'Double'; value: number }
  | { type: 'Int64'; value: bigint }
  | { type: 'DateTime'; value: Date }
  | { type: 'Binary'; value: Uint8Array };

interface Row {
  partitionKey: string;
  rowKey: string;
  etag: string;
  timestamp: string;
  cells: Map<string, Cell>;
}

export interface MemoryEntity {
  partitionKey?: string;
  rowKey?: string;
  [property: string]: unknown;
}

export type MemoryUpdateMode = 'Merge' | 'Replace';

export type MemoryTransactionAction =
  | ['create', MemoryEntity]
  /** The SDK sends no ETag with a transaction's delete; `deleteEntity` passes one here. */
  | ['delete', MemoryEntity, { etag?: string }?]
  | ['update', MemoryEntity, MemoryUpdateMode?, { etag?: string }?]
  | ['upsert', MemoryEntity, MemoryUpdateMode?];

/** What the SDK throws: a status and the service's error code (read by storage/errors.ts `restStatus`). */
export class MemoryTableError extends Error {
  override readonly name = 'RestError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One table's rows plus whether the table exists; shared by every client of that name in an account. */
export class MemoryTableData {
  exists = false;
  readonly rows = new Map<string, Row>();
}

let etagCounter = 0;
function nextEtag(): { etag: string; timestamp: string } {
  etagCounter += 1;
  const timestamp = new Date().toISOString();
  // The service's ETags are opaque; these change on every write and never repeat in a process.
  return { etag: `W/"datetime'${encodeURIComponent(timestamp)}'-${etagCounter}"`, timestamp };
}

const keyOf = (pk: string, rk: string): string => `${pk}\u0000${rk}`;
const SYSTEM = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.etag', 'odata.metadata']);

function edmObject(value: unknown): Cell | undefined {
  if (typeof value !== 'object' || value === null || value instanceof Date || value instanceof Uint8Array) {
    return undefined;
  }
  const o = value as { type?: unknown; value?: unknown };
  if (typeof o.type !== 'string' || o.value === undefined) return undefined;
  switch (o.type) {
    case 'Int64':
      return { type: 'Int64', value: BigInt(String(o.value)) };
    case 'Double':
      return { type: 'Double', value: Number(o.value) };
    case 'Int32':
      return { type: 'Int32', value: Number(o.value) };
    case 'String':
    case 'Guid':
      return { type: 'String', value: String(o.value) };
    case 'Boolean':
      return { type: 'Boolean', value: o.value === true || o.value === 'true' };
    case 'DateTime':
      return { type: 'DateTime', value: new Date(String(o.value)) };
    default:
      throw new MemoryTableError(400, 'InvalidInput', `unsupported Edm type ${o.type}`);
  }
}

function toCell(name: string, value: unknown): Cell | undefined {
  if (value === undefined || value === null) return undefined;
  const edm = edmObject(value);
  if (edm) return edm;
  if (typeof value === 'string') return { type: 'String', value };
  if (typeof value === 'boolean') return { type: 'Boolean', value };
  if (typeof value === 'bigint') return { type: 'Int64', value };
  // An untyped JSON number is Int32 when it is one, else Double (the service's inference).
  if (typeof value === 'number') {
    const int32 = Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;
    return { type: int32 ? 'Int32' : 'Double', value };
  }
  if (value instanceof Date) return { type: 'DateTime', value: new Date(value.getTime()) };
  if (value instanceof Uint8Array) return { type: 'Binary', value: Uint8Array.from(value) };
  throw new MemoryTableError(400, 'InvalidInput', `property "${name}" has a value Table Storage cannot hold`);
}

function fromCell(cell: Cell): Scalar {
  if (cell.type === 'DateTime') return new Date(cell.value.getTime());
  if (cell.type === 'Binary') return Buffer.from(cell.value);
  return cell.value;
}

function cellsOf(entity: MemoryEntity): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  for (const [name, value] of Object.entries(entity)) {
    if (SYSTEM.has(name)) continue;
    const cell = toCell(name, value);
    if (cell) cells.set(name, cell);
  }
  return cells;
}

function keysOf(entity: MemoryEntity): { pk: string; rk: string } {
  if (typeof entity.partitionKey !== 'string' || typeof entity.rowKey !== 'string') {
    throw new MemoryTableError(400, 'PropertiesNeedValue', 'partitionKey and rowKey are required');
  }
  return { pk: entity.partitionKey, rk: entity.rowKey };
}

function view<T>(row: Row): T {
  const out: Record<string, unknown> = {
    partitionKey: row.partitionKey,
    rowKey: row.rowKey,
    etag: row.etag,
    timestamp: row.timestamp,
  };
  for (const [name, cell] of row.cells) out[name] = fromCell(cell);
  return out as T;
}

// --- the OData filter subset ------------------------------------------------------------------

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'literal'; value: Scalar }
  | { kind: 'op'; text: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' }
  | { kind: 'and' | 'or' | 'not' | '(' | ')' };

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new MemoryTableError(400, 'InvalidInput', `filter "${filter}": ${why} at ${i}`);
  };
  const quoted = (): string => {
    // after the opening quote; '' is an escaped quote
    let text = '';
    for (;;) {
      if (i >= filter.length) fail('unterminated string');
      const c = filter[i] ?? '';
      i += 1;
      if (c === "'") {
        if (filter[i] === "'") {
          text += "'";
          i += 1;
          continue;
        }
        return text;
      }
      text += c;
    }
  };
  while (i < filter.length) {
    const c = filter[i] ?? '';
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c });
      i += 1;
    } else if (c === "'") {
      i += 1;
      tokens.push({ kind: 'literal', value: quoted() });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?(L)?/.exec(filter.slice(i)) ?? fail('bad number');
      i += m[0].length;
      tokens.push({ kind: 'literal', value: m[3] ? BigInt(m[0].slice(0, -1)) : Number(m[0]) });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(filter.slice(i)) ?? fail('bad name');
      const word = m[0];
      i += word.length;
      if (filter[i] === "'" && (word === 'datetime' || word === 'guid' || word === 'X' || word === 'binary')) {
        i += 1;
        const text = quoted();
        tokens.push({
          kind: 'literal',
          value: word === 'datetime' ? new Date(text) : word === 'guid' ? text : Buffer.from(text, 'hex'),
        });
      } else if (word === 'true' || word === 'false') {
        tokens.push({ kind: 'literal', value: word === 'true' });
      } else if (word === 'and' || word === 'or' || word === 'not') {
        tokens.push({ kind: word });
      } else if (COMPARISONS.has(word)) {
        tokens.push({ kind: 'op', text: word as 'eq' });
      } else {
        tokens.push({ kind: 'ident', text: word });
      }
    } else {
      fail(`unexpected "${c}"`);
    }
  }
  return tokens;
}

type Predicate = (row: Row) => boolean;

function compare(left: Scalar | undefined, op: string, right: Scalar): boolean {
  // The service never matches a row that lacks the property, whatever the operator.
  if (left === undefined) return false;
  const norm = (v: Scalar): string | number | bigint | boolean =>
    v instanceof Date ? v.getTime() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
  let a = norm(left);
  let b = norm(right);
  if (typeof a === 'bigint' && typeof b === 'number') b = BigInt(Math.trunc(b));
  if (typeof a === 'number' && typeof b === 'bigint') a = BigInt(Math.trunc(a));
  if (typeof a !== typeof b) return false;
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    default:
      return a <= b;
  }
}

function propertyOf(row: Row, name: string): Scalar | undefined {
  if (name === 'PartitionKey') return row.partitionKey;
  if (name === 'RowKey') return row.rowKey;
  if (name === 'Timestamp') return new Date(row.timestamp);
  const cell = row.cells.get(name);
  return cell ? fromCell(cell) : undefined;
}

/** Recursive descent: or → and → not → comparison | ( or ). */
function parseFilter(filter: string): Predicate {
  const tokens = tokenize(filter);
  let at = 0;
  const fail = (why: string): never => {
    throw new MemoryTableError(400, 'InvalidInput', `filter "${filter}": ${why}`);
  };
  const peek = (): Token | undefined => tokens[at];
  const orExpr = (): Predicate => {
    let left = andExpr();
    while (peek()?.kind === 'or') {
      at += 1;
      const a = left;
      const b = andExpr();
      left = (row) => a(row) || b(row);
    }
    return left;
  };
  const andExpr = (): Predicate => {
    let left = notExpr();
    while (peek()?.kind === 'and') {
      at += 1;
      const a = left;
      const b = notExpr();
      left = (row) => a(row) && b(row);
    }
    return left;
  };
  const notExpr = (): Predicate => {
    if (peek()?.kind === 'not') {
      at += 1;
      const inner = notExpr();
      return (row) => !inner(row);
    }
    return primary();
  };
  const primary = (): Predicate => {
    const t = tokens[at++] ?? fail('ends early');
    if (t.kind === '(') {
      const inner = orExpr();
      if (tokens[at++]?.kind !== ')') fail('missing )');
      return inner;
    }
    if (t.kind !== 'ident') return fail('expected a property name');
    const op = tokens[at++];
    const lit = tokens[at++];
    if (op?.kind !== 'op' || lit?.kind !== 'literal')
      return fail(`expected "<property> <op> <literal>" after ${t.text}`);
    return (row) => compare(propertyOf(row, t.text), op.text, lit.value);
  };
  const predicate = orExpr();
  if (at !== tokens.length) fail('unexpected trailing tokens');
  return predicate;
}

// --- the client -------------------------------------------------------------------------------

export interface MemoryListOptions {
  queryOptions?: { filter?: string; select?: string[] };
}

type MemoryPage<T> = T[] & { continuationToken?: string };

export interface MemoryEntityIterator<T> extends AsyncIterableIterator<T> {
  byPage(settings?: { maxPageSize?: number; continuationToken?: string }): AsyncIterableIterator<MemoryPage<T>>;
}

/** The service's default and maximum page size. */
const SERVICE_PAGE = 1000;

export class MemoryTableClient {
  constructor(
    readonly tableName: string,
    private readonly data: MemoryTableData,
  ) {}

  async createTable(): Promise<void> {
    this.data.exists = true;
  }

  async deleteTable(): Promise<void> {
    this.data.exists = false;
    this.data.rows.clear();
  }

  async getEntity<T extends object = Record<string, unknown>>(pk: string, rk: string): Promise<T & MemoryEntity> {
    const row = this.table().get(keyOf(pk, rk));
    if (!row) throw new MemoryTableError(404, 'ResourceNotFound', 'The specified resource does not exist.');
    return view<T & MemoryEntity>(row);
  }

  async createEntity(entity: MemoryEntity): Promise<{ etag: string }> {
    const { pk } = keysOf(entity);
    return this.commit(pk, [['create', entity]])[0] ?? { etag: '' };
  }

  async updateEntity(
    entity: MemoryEntity,
    mode: MemoryUpdateMode = 'Merge',
    options: { etag?: string } = {},
  ): Promise<{ etag: string }> {
    const { pk } = keysOf(entity);
    return this.commit(pk, [['update', entity, mode, options]])[0] ?? { etag: '' };
  }

  async upsertEntity(entity: MemoryEntity, mode: MemoryUpdateMode = 'Merge'): Promise<{ etag: string }> {
    const { pk } = keysOf(entity);
    return this.commit(pk, [['upsert', entity, mode]])[0] ?? { etag: '' };
  }

  async deleteEntity(pk: string, rk: string, options: { etag?: string } = {}): Promise<void> {
    this.commit(pk, [['delete', { partitionKey: pk, rowKey: rk }, options]]);
  }

  async submitTransaction(actions: MemoryTransactionAction[]): Promise<{
    status: number;
    getResponseForEntity(rowKey: string): { etag: string } | undefined;
  }> {
    const first = actions[0];
    if (!first) return { status: 202, getResponseForEntity: () => undefined };
    const { pk } = keysOf(first[1]);
    for (const action of actions) {
      if (keysOf(action[1]).pk !== pk) {
        throw new MemoryTableError(400, 'CommandsInBatchActOnDifferentPartitions', 'one partition per transaction');
      }
    }
    const etags = this.commit(pk, actions);
    const byRow = new Map<string, { etag: string }>();
    actions.forEach((action, i) => {
      const written = etags[i];
      if (action[0] !== 'delete' && written) byRow.set(keysOf(action[1]).rk, written);
    });
    return { status: 202, getResponseForEntity: (rowKey) => byRow.get(rowKey) };
  }

  listEntities<T extends object = Record<string, unknown>>(options: MemoryListOptions = {}): MemoryEntityIterator<T> {
    const filter = options.queryOptions?.filter;
    const predicate = filter ? parseFilter(filter) : () => true;
    const pageFrom = (token: string | undefined, size: number): MemoryPage<T> => {
      const after = token ? decodeToken(token) : undefined;
      const rows = [...this.table().values()]
        .filter((row) => !after || keyOf(row.partitionKey, row.rowKey) >= after)
        .sort((a, b) => (keyOf(a.partitionKey, a.rowKey) < keyOf(b.partitionKey, b.rowKey) ? -1 : 1));
      const items: T[] = [];
      let next: string | undefined;
      for (const row of rows) {
        if (!predicate(row)) continue;
        if (items.length === size) {
          next = encodeToken(keyOf(row.partitionKey, row.rowKey));
          break;
        }
        items.push(view<T>(row));
      }
      const page = items as MemoryPage<T>;
      if (next) page.continuationToken = next;
      return page;
    };
    const pages = (settings: { maxPageSize?: number; continuationToken?: string } = {}) => {
      const size = Math.max(1, Math.min(SERVICE_PAGE, settings.maxPageSize ?? SERVICE_PAGE));
      let token = settings.continuationToken;
      let done = false;
      const iterator: AsyncIterableIterator<MemoryPage<T>> = {
        next: async () => {
          if (done) return { done: true, value: undefined };
          const page = pageFrom(token, size);
          token = page.continuationToken;
          if (!token) done = true;
          return { done: false, value: page };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    };
    async function* all(): AsyncGenerator<T> {
      for await (const page of pages()) yield* page;
    }
    const entities = all();
    return Object.assign(entities, { byPage: pages });
  }

  // --- internals -------------------------------------------------------------------------------

  private table(): Map<string, Row> {
    if (!this.data.exists) {
      throw new MemoryTableError(404, 'TableNotFound', `The table ${this.tableName} does not exist.`);
    }
    return this.data.rows;
  }

  /** Applies the writes to a copy and swaps it in only if every one succeeds (all or nothing). */
  private commit(_pk: string, actions: MemoryTransactionAction[]): { etag: string }[] {
    const draft = new Map(this.table());
    const etags = this.apply(draft, actions);
    const rows = this.table();
    rows.clear();
    for (const [key, row] of draft) rows.set(key, row);
    return etags;
  }

  private apply(rows: Map<string, Row>, actions: MemoryTransactionAction[]): { etag: string }[] {
    const out: { etag: string }[] = [];
    for (const action of actions) {
      const entity = action[1];
      const { pk, rk } = keysOf(entity);
      const key = keyOf(pk, rk);
      const current = rows.get(key);
      const stamp = (cells: Map<string, Cell>): { etag: string } => {
        const { etag, timestamp } = nextEtag();
        rows.set(key, { partitionKey: pk, rowKey: rk, etag, timestamp, cells });
        return { etag };
      };
      switch (action[0]) {
        case 'create':
          if (current) throw new MemoryTableError(409, 'EntityAlreadyExists', 'The specified entity already exists.');
          out.push(stamp(cellsOf(entity)));
          break;
        case 'upsert': {
          const mode = action[2] ?? 'Merge';
          const base = mode === 'Merge' && current ? new Map(current.cells) : new Map<string, Cell>();
          for (const [name, cell] of cellsOf(entity)) base.set(name, cell);
          out.push(stamp(base));
          break;
        }
        case 'update': {
          const mode = action[2] ?? 'Merge';
          const etag = action[3]?.etag ?? '*';
          if (!current) throw new MemoryTableError(404, 'ResourceNotFound', 'The specified resource does not exist.');
          if (etag !== '*' && etag !== current.etag) {
            throw new MemoryTableError(412, 'UpdateConditionNotSatisfied', 'The update condition was not satisfied.');
          }
          const base = mode === 'Merge' ? new Map(current.cells) : new Map<string, Cell>();
          for (const [name, cell] of cellsOf(entity)) base.set(name, cell);
          out.push(stamp(base));
          break;
        }
        case 'delete': {
          const etag = action[2]?.etag;
          if (!current) throw new MemoryTableError(404, 'ResourceNotFound', 'The specified resource does not exist.');
          if (typeof etag === 'string' && etag !== '*' && etag !== current.etag) {
            throw new MemoryTableError(412, 'UpdateConditionNotSatisfied', 'The update condition was not satisfied.');
          }
          rows.delete(key);
          out.push({ etag: '' });
          break;
        }
      }
    }
    return out;
  }
}

/** The SDK's continuation token: base64 of the next row's keys as JSON. */
function encodeToken(key: string): string {
  const [nextPartitionKey, nextRowKey] = key.split('\u0000');
  return Buffer.from(JSON.stringify({ nextPartitionKey, nextRowKey }), 'utf8').toString('base64');
}

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    const { nextPartitionKey, nextRowKey } = parsed as { nextPartitionKey?: unknown; nextRowKey?: unknown };
    if (typeof nextPartitionKey === 'string' && typeof nextRowKey === 'string')
      return keyOf(nextPartitionKey, nextRowKey);
  } catch {
    // falls through to the service's answer to a token it cannot read
  }
  throw new MemoryTableError(400, 'InvalidInput', 'invalid continuation token');
}
