import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '../sdk/data-tables';
import type { StorageAccount } from './connection';
import { decodeCursor, encodeCursor } from './cursor';
import { decodeEntity, type EncodedProperty, encodeEntity } from './entity-codec';
import {
  AlreadyExistsError,
  ConflictError,
  EntityValidationError,
  InvalidCursorError,
  NotFoundError,
  restStatus,
} from './errors';
import { assertValidKey } from './keys';
import { ensureTable, forgetTable } from './provision';

export interface Stored<T> {
  partitionKey: string;
  rowKey: string;
  etag: string;
  /** Server timestamp (ISO 8601); present on reads, absent on the result of a write. */
  timestamp?: string;
  value: T;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ListOptions {
  /** Page size, default 50, clamped to 1..200. A page may hold fewer items and still have a cursor. */
  limit?: number;
  cursor?: string | null;
  /** Inclusive lower bound on RowKey. */
  rowKeyFrom?: string;
  /** Exclusive upper bound on RowKey. */
  rowKeyTo?: string;
  /** Only row keys starting with this (combined with from/to as an intersection). */
  rowKeyPrefix?: string;
  /**
   * Extra OData condition on properties, built with the `odata` tag (it escapes values). It runs
   * inside the one partition, never across the table; prefer key design for common filters.
   */
  filter?: string;
}

export interface UpdateOptions<T = unknown> {
  /** Read-modify-write rounds before giving up with ConflictError. N concurrent writers need N. */
  maxAttempts?: number;
  /**
   * The row as the caller read it moments ago (`null`: read as absent). The first round uses it
   * instead of reading again, saving a round trip; if it is stale the write loses the ETag race
   * and the next round reads as usual, so nothing is ever overwritten. A row without an ETag (a
   * write whose answer carried none, as Azurite's batch answers) is read first, as if not given.
   */
  current?: Stored<T> | null;
}

/** One write of an entity-group transaction (`transact`); every row of it is in one partition. */
export type TableWrite<T> =
  | { op: 'insert'; rowKey: string; value: T }
  | { op: 'upsert'; rowKey: string; value: T }
  | { op: 'replace'; rowKey: string; value: T; etag: string }
  /** Unconditional (the SDK's transactions send no ETag with a delete); an absent row fails it. */
  | { op: 'delete'; rowKey: string };

/** Table Storage's limit on the operations of one entity-group transaction. */
export const MAX_TRANSACTION_OPERATIONS = 100;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
const DEFAULT_UPDATE_ATTEMPTS = 10;
/** Table Storage may return short or empty pages (partition boundaries, 5 s limit); refill a few times. */
const MAX_PAGE_ROUND_TRIPS = 5;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

type Mutator<T> = (current: T | undefined) => T | undefined | Promise<T | undefined>;

/**
 * One table of one entity type: zod-validated on every read and write, ETag concurrency on every
 * conditional write, lists confined to a single partition and paged with opaque cursors.
 */
export class TableRepository<T extends Record<string, unknown>> {
  private readonly client: TableClient;

  constructor(
    account: StorageAccount,
    readonly tableName: string,
    private readonly schema: z.ZodType<T>,
  ) {
    if (!TABLE_NAME.test(tableName)) {
      throw new Error(`table name "${tableName}": letters and digits, starting with a letter, 3-63 chars`);
    }
    this.client = account.table(tableName);
  }

  async get(pk: string, rk: string): Promise<Stored<T> | undefined> {
    this.keys(pk, rk);
    try {
      const entity = await this.call(() => this.client.getEntity<Record<string, unknown>>(pk, rk));
      return this.fromEntity(entity);
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw error;
    }
  }

  /** Create a row; AlreadyExistsError when the key is taken (the building block of dedup and locks). */
  async insert(pk: string, rk: string, value: T): Promise<Stored<T>> {
    this.keys(pk, rk);
    const parsed = this.parseForWrite(value);
    try {
      const res = await this.call(() => this.client.createEntity(this.toEntity(pk, rk, parsed)));
      return { partitionKey: pk, rowKey: rk, etag: res.etag ?? '', value: parsed };
    } catch (error) {
      if (restStatus(error).status === 409) {
        throw new AlreadyExistsError(`${this.tableName}: ${pk}/${rk} already exists`, { cause: error });
      }
      throw error;
    }
  }

  /** Overwrite a row only if it is unchanged since `etag` was read. */
  async replace(pk: string, rk: string, value: T, etag: string): Promise<Stored<T>> {
    this.keys(pk, rk);
    if (!etag || etag === '*') throw new Error('replace needs the etag of the row as read; use upsert to overwrite');
    const parsed = this.parseForWrite(value);
    try {
      const res = await this.call(() => this.client.updateEntity(this.toEntity(pk, rk, parsed), 'Replace', { etag }));
      return { partitionKey: pk, rowKey: rk, etag: res.etag ?? '', value: parsed };
    } catch (error) {
      throw this.conditionalError(error, pk, rk);
    }
  }

  /** Unconditional create-or-replace, for rows no one races on (e.g. single-writer projections). */
  async upsert(pk: string, rk: string, value: T): Promise<Stored<T>> {
    this.keys(pk, rk);
    const parsed = this.parseForWrite(value);
    const res = await this.call(() => this.client.upsertEntity(this.toEntity(pk, rk, parsed), 'Replace'));
    return { partitionKey: pk, rowKey: rk, etag: res.etag ?? '', value: parsed };
  }

  /** true when deleted, false when absent; ConflictError when `etag` is given and stale. */
  async delete(pk: string, rk: string, etag?: string): Promise<boolean> {
    this.keys(pk, rk);
    try {
      await this.call(() => this.client.deleteEntity(pk, rk, { etag: etag ?? '*' }));
      return true;
    } catch (error) {
      const { status } = restStatus(error);
      if (status === 404) return false;
      if (status === 412)
        throw new ConflictError(`${this.tableName}: ${pk}/${rk} changed since read`, { cause: error });
      throw error;
    }
  }

  /**
   * Read-modify-write under the row's ETag. `mutate` gets the current value (undefined when absent)
   * and returns the new one, or undefined to leave the row as it is (then the current row is
   * returned). A lost race re-reads and calls `mutate` again, so it must be a pure function of its
   * input. After `maxAttempts` lost races: ConflictError.
   */
  async update(
    pk: string,
    rk: string,
    mutate: Mutator<T>,
    options: UpdateOptions<T> = {},
  ): Promise<Stored<T> | undefined> {
    const attempts = Math.max(1, options.maxAttempts ?? DEFAULT_UPDATE_ATTEMPTS);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const known = attempt === 1 && options.current?.etag !== '' ? options.current : undefined;
      const current = known !== undefined ? (known ?? undefined) : await this.get(pk, rk);
      const next = await mutate(current?.value);
      if (next === undefined) return current;
      try {
        return current ? await this.replace(pk, rk, next, current.etag) : await this.insert(pk, rk, next);
      } catch (error) {
        const lostRace =
          error instanceof ConflictError || error instanceof AlreadyExistsError || error instanceof NotFoundError;
        if (!lostRace) throw error;
        // Jittered, growing pause so a crowd of writers spreads out instead of colliding in lockstep.
        if (attempt < attempts) await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
      }
    }
    throw new ConflictError(`${this.tableName}: ${pk}/${rk} kept changing; gave up after ${attempts} attempts`);
  }

  /**
   * Several writes to one partition as one entity-group transaction: one round trip, all or
   * nothing (at most 100, each row once). A failed transaction throws what the failing write alone
   * would: AlreadyExistsError (insert on a taken key), ConflictError (stale etag), NotFoundError
   * (replace or delete of an absent row; unlike `delete`, absence fails the whole transaction).
   * Returns the stored rows of the inserts, upserts and replaces, in the order given; their etag is
   * '' where the service's batch answer carries none (Azurite), so a caller that must replace one
   * of them under its ETag reads it first.
   */
  async transact(pk: string, writes: readonly TableWrite<T>[]): Promise<Stored<T>[]> {
    assertValidKey('PartitionKey', pk);
    if (writes.length === 0) return [];
    if (writes.length > MAX_TRANSACTION_OPERATIONS) {
      throw new Error(`${this.tableName}: ${writes.length} writes in one transaction; at most 100`);
    }
    const seen = new Set<string>();
    const actions: TransactionAction[] = [];
    const written: { rowKey: string; value: T }[] = [];
    for (const w of writes) {
      assertValidKey('RowKey', w.rowKey);
      if (seen.has(w.rowKey)) throw new Error(`${this.tableName}: ${pk}/${w.rowKey} twice in one transaction`);
      seen.add(w.rowKey);
      if (w.op === 'delete') {
        actions.push(['delete', { partitionKey: pk, rowKey: w.rowKey }]);
        continue;
      }
      if (w.op === 'replace' && (!w.etag || w.etag === '*')) {
        throw new Error('replace needs the etag of the row as read; use upsert to overwrite');
      }
      const value = this.parseForWrite(w.value);
      const entity = this.toEntity(pk, w.rowKey, value);
      written.push({ rowKey: w.rowKey, value });
      if (w.op === 'insert') actions.push(['create', entity]);
      else if (w.op === 'upsert') actions.push(['upsert', entity, 'Replace']);
      else actions.push(['update', entity, 'Replace', { etag: w.etag }]);
    }
    let response: Awaited<ReturnType<TableClient['submitTransaction']>>;
    try {
      response = await this.call(() => this.client.submitTransaction(actions));
    } catch (error) {
      const { status } = restStatus(error);
      const where = `${this.tableName}: transaction on ${pk}`;
      if (status === 409) throw new AlreadyExistsError(`${where}: a row to insert already exists`, { cause: error });
      if (status === 412) throw new ConflictError(`${where}: a row changed since read`, { cause: error });
      if (status === 404) throw new NotFoundError(`${where}: a row to change does not exist`, { cause: error });
      throw error;
    }
    return written.map(({ rowKey, value }) => ({
      partitionKey: pk,
      rowKey,
      etag: response.getResponseForEntity(rowKey)?.etag ?? '',
      value,
    }));
  }

  /** One page of a partition in ascending RowKey order. */
  async list(pk: string, options: ListOptions = {}): Promise<Page<Stored<T>>> {
    assertValidKey('PartitionKey', pk);
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(options.limit ?? DEFAULT_LIMIT) || DEFAULT_LIMIT));
    const { from, to } = rowKeyRange(options);
    const filter = buildFilter(pk, from, to, options.filter);
    const scope = [this.tableName, pk, from ?? null, to ?? null, options.filter ?? null];
    let token = options.cursor ? decodeCursor(options.cursor, scope) : undefined;

    const items: Stored<T>[] = [];
    for (let trip = 1; ; trip++) {
      const page = await this.call(async () => {
        const pages = this.client
          .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
          .byPage({ maxPageSize: limit - items.length, ...(token ? { continuationToken: token } : {}) });
        const first = await pages.next();
        return first.done ? undefined : first.value;
      }).catch((error: unknown) => {
        // A caller's cursor the service still refuses (400) is the caller's mistake, not ours.
        if (trip === 1 && options.cursor && restStatus(error).status === 400) {
          throw new InvalidCursorError('the storage service refused the cursor', { cause: error });
        }
        throw error;
      });
      for (const entity of page ?? []) items.push(this.fromEntity(entity));
      token = page?.continuationToken;
      if (!token || items.length >= limit) break;
      // Keep refilling short pages a few times; an empty page with a cursor only if the service
      // keeps answering empty (a sparse `filter` over a huge partition).
      if (trip >= MAX_PAGE_ROUND_TRIPS && items.length > 0) break;
      if (trip >= MAX_PAGE_ROUND_TRIPS * 4) break;
    }
    return { items, nextCursor: token ? encodeCursor(token, scope) : null };
  }

  /** Every row of a partition range, page by page (for purges and batch jobs, not for API lists). */
  async *iterate(pk: string, options: Omit<ListOptions, 'cursor' | 'limit'> = {}): AsyncGenerator<Stored<T>> {
    let cursor: string | null = null;
    do {
      const page: Page<Stored<T>> = await this.list(pk, { ...options, limit: MAX_LIMIT, cursor });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  // --- internals -------------------------------------------------------------------------------

  private keys(pk: string, rk: string): void {
    assertValidKey('PartitionKey', pk);
    assertValidKey('RowKey', rk);
  }

  /** Create the table on first use; if it vanished (TableNotFound), re-create it once and retry. */
  private async call<R>(op: () => Promise<R>): Promise<R> {
    await ensureTable(this.client);
    try {
      return await op();
    } catch (error) {
      if (restStatus(error).code !== 'TableNotFound') throw error;
      forgetTable(this.client);
      await ensureTable(this.client);
      return op();
    }
  }

  private parseForWrite(value: T): T {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw new EntityValidationError(
        `${this.tableName}: value to write is invalid: ${z.prettifyError(result.error)}`,
        'write',
        {
          cause: result.error,
        },
      );
    }
    return result.data;
  }

  private toEntity(
    pk: string,
    rk: string,
    value: T,
  ): { partitionKey: string; rowKey: string } & Record<string, EncodedProperty> {
    return { ...encodeEntity(value), partitionKey: pk, rowKey: rk };
  }

  private fromEntity(entity: TableEntityResult<Record<string, unknown>>): Stored<T> {
    const where = `${this.tableName}: ${entity.partitionKey}/${entity.rowKey}`;
    let raw: Record<string, unknown>;
    try {
      raw = decodeEntity(entity);
    } catch (cause) {
      throw new EntityValidationError(`${where}: stored row cannot be decoded`, 'read', { cause });
    }
    const result = this.schema.safeParse(raw);
    if (!result.success) {
      throw new EntityValidationError(
        `${where}: stored row does not match the schema: ${z.prettifyError(result.error)}`,
        'read',
        {
          cause: result.error,
        },
      );
    }
    const ts: unknown = entity.timestamp;
    const timestamp = ts instanceof Date ? ts.toISOString() : typeof ts === 'string' ? ts : undefined;
    return {
      partitionKey: entity.partitionKey ?? '',
      rowKey: entity.rowKey ?? '',
      etag: entity.etag,
      ...(timestamp ? { timestamp } : {}),
      value: result.data,
    };
  }

  private conditionalError(error: unknown, pk: string, rk: string): unknown {
    const { status } = restStatus(error);
    if (status === 412) return new ConflictError(`${this.tableName}: ${pk}/${rk} changed since read`, { cause: error });
    if (status === 404) return new NotFoundError(`${this.tableName}: ${pk}/${rk} does not exist`, { cause: error });
    return error;
  }
}

/** The smallest string greater than every string starting with `prefix`. */
function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return undefined;
}

function rowKeyRange(options: ListOptions): { from?: string; to?: string } {
  let from = options.rowKeyFrom || undefined;
  let to = options.rowKeyTo || undefined;
  if (options.rowKeyPrefix) {
    const p = options.rowKeyPrefix;
    if (from === undefined || p > from) from = p;
    const end = prefixEnd(p);
    if (end !== undefined && (to === undefined || end < to)) to = end;
  }
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

function buildFilter(pk: string, from: string | undefined, to: string | undefined, extra: string | undefined): string {
  const parts = [odata`PartitionKey eq ${pk}`];
  if (from !== undefined) parts.push(odata`RowKey ge ${from}`);
  if (to !== undefined) parts.push(odata`RowKey lt ${to}`);
  if (extra) parts.push(`(${extra})`);
  return parts.join(' and ');
}
