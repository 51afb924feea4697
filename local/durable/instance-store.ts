import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { AlreadyExistsError, ConflictError, restStatus } from '../../shared/storage/errors';
import { escapeKey } from '../../shared/storage/keys';
import { ensureTable } from '../../shared/storage/provision';
import { decodeChunks, encodeChunks, MAX_ENTITY_CHARS, PayloadTooLargeError } from './chunked';
import { type ActivityOutcome, type EngineState, engineStateSchema, type PendingEvent } from './decisions';
import { type HistoryEvent, historySchema, iso } from './history';
import { decodeRow, MalformedRowError, TransactionTooLargeError } from './storage-failures';

/**
 * One orchestration instance = one Table Storage partition of the hub's history table:
 *
 *   state                     status, input/output, engine bookkeeping; its ETag guards every change
 *   page:<exec>:<n>           history events appended by episode n (JSON, chunked)
 *   work:<exec>:<seq>         a scheduled activity or timer: pending → done (with its outcome)
 *   msg:<ulid>                a start, raised event, terminate, suspend or resume request
 *
 * Because all of it lives in one partition, an episode commits atomically in one entity-group
 * transaction: the state row (If-Match its ETag), the new history page, and the deletion of every
 * work/message row it applied. A completion is therefore either still waiting in its row or part
 * of the history — never both, never lost — which is what "applied exactly once" rests on.
 */
export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'Suspended';
const runtimeStatusSchema = z.enum(['Pending', 'Running', 'Completed', 'Failed', 'Terminated', 'Suspended']);

export function isTerminal(status: RuntimeStatus): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Terminated';
}

export interface InstanceState {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  executionId: string;
  createdTime: string;
  lastUpdatedTime: string;
  /** Increases with every committed change; the instances index only ever moves forward. */
  version: number;
  pageCount: number;
  /** JSON texts, as in the history (undefined = none). */
  input: string | undefined;
  output: string | undefined;
  customStatus: string | undefined;
  engine: EngineState;
}

/** The status columns the state row and the instances index both carry (one definition for both). */
export function statusColumns(s: InstanceState): Record<string, unknown> {
  return {
    instanceId: s.instanceId,
    name: s.name,
    runtimeStatus: s.runtimeStatus,
    createdTime: s.createdTime,
    lastUpdatedTime: s.lastUpdatedTime,
    version: s.version,
    ...encodeChunks('input', s.input),
    ...encodeChunks('output', s.output),
    ...encodeChunks('customStatus', s.customStatus),
  };
}

export interface StoredState {
  state: InstanceState;
  etag: string;
}

export interface WorkRow {
  rowKey: string;
  executionId: string;
  id: number;
  kind: 'activity' | 'timer';
  status: 'pending' | 'done';
  name: string | undefined;
  input: string | undefined;
  fireAt: string | undefined;
  dueAtMs: number | undefined;
  leaseOwner: string | undefined;
  leaseUntilMs: number | undefined;
  completedAt: string | undefined;
  outcome: ActivityOutcome | undefined;
  etag: string;
}

export type NewWorkRow =
  | { kind: 'activity'; executionId: string; id: number; name: string; input: string | undefined }
  | { kind: 'timer'; executionId: string; id: number; fireAt: string; dueAtMs: number };

export type NewMessage =
  | { type: 'start'; executionId: string }
  | { type: 'event'; name: string; data: string | undefined }
  | { type: 'terminate' | 'suspend' | 'resume'; reason: string };

export interface Snapshot {
  stored: StoredState;
  /** The current execution's history, exactly the pages the state row vouches for. */
  history: HistoryEvent[];
  work: WorkRow[];
  messages: PendingEvent[];
  /** Rows left by earlier executions (after continue-as-new or a restart), to clean up. */
  foreignRows: string[];
}

export const STATE_ROW = 'state';
const pad = (n: number) => String(n).padStart(8, '0');
export const pageKey = (executionId: string, n: number) => `page:${executionId}:${pad(n)}`;
export const workKey = (executionId: string, id: number) => `work:${executionId}:${pad(id)}`;

const stateRowSchema = z
  .object({
    instanceId: z.string(),
    name: z.string(),
    runtimeStatus: runtimeStatusSchema,
    executionId: z.string(),
    createdTime: z.string(),
    lastUpdatedTime: z.string(),
    version: z.number().int(),
    pageCount: z.number().int(),
  })
  .loose();

const outcomeSchema: z.ZodType<ActivityOutcome> = z.union([
  z.object({ ok: z.literal(true), result: z.string() }),
  z.object({
    ok: z.literal(false),
    reason: z.string(),
    details: z.string(),
    failureDetails: z
      .object({ ErrorType: z.string(), ErrorMessage: z.string(), StackTrace: z.string().optional() })
      .optional(),
  }),
]);

const workRowSchema = z
  .object({
    executionId: z.string(),
    seq: z.number().int(),
    kind: z.enum(['activity', 'timer']),
    status: z.enum(['pending', 'done']),
    name: z.string().optional(),
    fireAt: z.string().optional(),
    dueAtMs: z.number().optional(),
    leaseOwner: z.string().optional(),
    leaseUntilMs: z.number().optional(),
    completedAt: z.string().optional(),
  })
  .loose();

const messageRowSchema = z
  .object({
    type: z.enum(['start', 'event', 'terminate', 'suspend', 'resume']),
    at: z.string(),
    executionId: z.string().optional(),
    name: z.string().optional(),
    reason: z.string().optional(),
  })
  .loose();

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** Storage rejected a write because someone else changed the partition first: reload and retry. */
export function isConcurrencyFailure(error: unknown): boolean {
  if (error instanceof ConflictError || error instanceof AlreadyExistsError) return true;
  const { status } = restStatus(error);
  return status === 412 || status === 409 || status === 404;
}

function parseJson<T>(schema: z.ZodType<T>, text: string | undefined, what: string): T | undefined {
  if (text === undefined) return undefined;
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`stored ${what} is malformed: ${parsed.error.message}`);
  return parsed.data;
}

export class InstanceStore {
  constructor(private readonly table: TableClient) {}

  ensure(): Promise<void> {
    return ensureTable(this.table);
  }

  async readState(instanceId: string): Promise<StoredState | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(escapeKey(instanceId), STATE_ROW);
      return { state: decodeRow(`state row of instance ${instanceId}`, () => this.decodeState(row)), etag: row.etag };
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Marks an instance Failed with `reason` without reading its history or engine state — the way out
   * when those cannot be stored or read. A Merge of the status columns, If-Match the state row as
   * read now; returns the new status for the index, or undefined when the row is gone, already
   * finished, unreadable even in its status columns, or changed meanwhile (the caller lets the next
   * round decide).
   */
  async markFailed(instanceId: string, reason: string, nowMs: number): Promise<InstanceState | undefined> {
    let row: Record<string, unknown> & { etag: string };
    try {
      row = await this.table.getEntity<Record<string, unknown>>(escapeKey(instanceId), STATE_ROW);
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw error;
    }
    const parsed = stateRowSchema.safeParse(row);
    if (!parsed.success || isTerminal(parsed.data.runtimeStatus)) return undefined;
    const output = JSON.stringify(`Orchestrator function '${parsed.data.name}' failed: ${reason}`);
    const state: InstanceState = {
      ...parsed.data,
      runtimeStatus: 'Failed',
      lastUpdatedTime: iso(nowMs),
      version: parsed.data.version + 1,
      input: undefined,
      output,
      customStatus: undefined,
      engine: { slots: [], nextSeq: 0, lastTimestampMs: 0 },
    };
    try {
      await this.table.updateEntity(
        {
          partitionKey: escapeKey(instanceId),
          rowKey: STATE_ROW,
          runtimeStatus: state.runtimeStatus,
          lastUpdatedTime: state.lastUpdatedTime,
          version: state.version,
          ...encodeChunks('output', output),
        },
        'Merge',
        { etag: row.etag },
      );
    } catch (error) {
      if (isConcurrencyFailure(error)) return undefined;
      throw error;
    }
    // The index gets the status columns it can read back (input and custom status stay as stored).
    return {
      ...state,
      input: safeChunks(row, 'input'),
      customStatus: safeChunks(row, 'customStatus'),
    };
  }

  /**
   * The state row is read first and its ETag is the one every commit is conditioned on; rows read
   * afterwards can only be newer. So a history assembled here can be stale only if the state moved
   * on, and then the commit fails and the caller reloads.
   */
  async load(instanceId: string): Promise<Snapshot | undefined> {
    const stored = await this.readState(instanceId);
    if (!stored) return undefined;
    const { executionId, pageCount } = stored.state;
    const pages = new Map<string, HistoryEvent[]>();
    const work: WorkRow[] = [];
    const messages: PendingEvent[] = [];
    const foreignRows: string[] = [];
    for await (const row of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${escapeKey(instanceId)}` },
    })) {
      const rowKey = row.rowKey ?? '';
      if (rowKey === STATE_ROW) continue;
      const [kind, rowExec] = rowKey.split(':');
      const what = `row ${rowKey} of instance ${instanceId}`;
      if (kind === 'msg') {
        messages.push(decodeRow(what, () => this.decodeMessage(rowKey, row)));
      } else if (rowExec !== executionId) {
        foreignRows.push(rowKey);
      } else if (kind === 'page') {
        pages.set(
          rowKey,
          decodeRow(what, () => historySchema.parse(JSON.parse(decodeChunks(row, 'events') ?? '[]'))),
        );
      } else if (kind === 'work') {
        work.push(decodeRow(what, () => this.decodeWork(rowKey, row)));
      }
    }
    const history: HistoryEvent[] = [];
    for (let n = 0; n < pageCount; n++) {
      const page = pages.get(pageKey(executionId, n));
      // A page the state row vouches for cannot be missing: it was written in the same transaction.
      if (!page) throw new MalformedRowError(`history page ${n} of instance ${instanceId} is missing`);
      history.push(...page);
    }
    return { stored, history, work, messages, foreignRows };
  }

  /** Creates a new instance (state + start message) atomically; AlreadyExistsError if the id is taken. */
  async create(state: InstanceState, start: NewMessage, msgKey: string): Promise<void> {
    try {
      await this.table.submitTransaction([
        ['create', this.encodeState(state)],
        ['create', this.encodeMessage(state.instanceId, msgKey, start, state.createdTime)],
      ]);
    } catch (error) {
      if (restStatus(error).status === 409) throw new AlreadyExistsError(`instance ${state.instanceId} exists`);
      throw error;
    }
  }

  /** Replaces a finished instance with a new execution (the extension's restart-on-start). */
  async replace(state: InstanceState, etag: string, start: NewMessage, msgKey: string): Promise<void> {
    await this.submit([
      ['update', this.encodeState(state), 'Replace', { etag }],
      ['create', this.encodeMessage(state.instanceId, msgKey, start, state.lastUpdatedTime)],
    ]);
  }

  async addMessage(instanceId: string, msgKey: string, message: NewMessage, at: string): Promise<void> {
    await this.table.createEntity(this.encodeMessage(instanceId, msgKey, message, at));
  }

  /**
   * One episode, atomically: the new state (If-Match), its history pages, the rows it consumed, and
   * — when they fit in the 100-operation transaction — the work rows for the tasks it scheduled.
   * Work that does not fit is returned for the caller to create right after; were the process to
   * die in between, reconciliation re-derives it from the committed TaskScheduled/TimerCreated events.
   */
  async commit(input: {
    previousEtag: string;
    state: InstanceState;
    pages: { n: number; events: HistoryEvent[] }[];
    consumed: string[];
    work: NewWorkRow[];
    messages: { key: string; message: NewMessage }[];
  }): Promise<NewWorkRow[]> {
    const pk = input.state.instanceId;
    const actions: TransactionAction[] = [
      ['update', this.encodeState(input.state), 'Replace', { etag: input.previousEtag }],
    ];
    for (const page of input.pages)
      actions.push(['create', this.encodePage(pk, input.state.executionId, page.n, page.events)]);
    for (const rowKey of input.consumed) actions.push(['delete', { partitionKey: escapeKey(pk), rowKey }]);
    for (const m of input.messages)
      actions.push(['create', this.encodeMessage(pk, m.key, m.message, input.state.lastUpdatedTime)]);
    const fits = actions.length + input.work.length <= 100;
    if (fits) for (const w of input.work) actions.push(['create', this.encodeWork(pk, w)]);
    if (actions.length > 100) {
      throw new TransactionTooLargeError(
        `an episode needs ${actions.length} storage operations; one transaction holds at most 100`,
      );
    }
    await this.submit(actions);
    return fits ? [] : input.work;
  }

  /** Creates work rows that may already exist (derived again after a crash): existing ones are kept. */
  async ensureWork(instanceId: string, work: NewWorkRow[]): Promise<void> {
    for (const w of work) {
      try {
        await this.table.createEntity(this.encodeWork(instanceId, w));
      } catch (error) {
        if (restStatus(error).status !== 409) throw error;
      }
    }
  }

  async readWork(instanceId: string, rowKey: string): Promise<WorkRow | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(escapeKey(instanceId), rowKey);
      return decodeRow(`row ${rowKey} of instance ${instanceId}`, () => this.decodeWork(rowKey, row));
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw error;
    }
  }

  /** Takes or extends a lease on a pending work row (a peek-lock); undefined when someone else holds it. */
  async lease(instanceId: string, row: WorkRow, owner: string, untilMs: number): Promise<WorkRow | undefined> {
    try {
      const res = await this.table.updateEntity(
        { partitionKey: escapeKey(instanceId), rowKey: row.rowKey, leaseOwner: owner, leaseUntilMs: untilMs },
        'Merge',
        { etag: row.etag },
      );
      return { ...row, leaseOwner: owner, leaseUntilMs: untilMs, etag: res.etag ?? row.etag };
    } catch (error) {
      if (isConcurrencyFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Marks a work row done, If-Match the ETag of the caller's lease (or of the timer row it read).
   * False when the row changed or vanished meanwhile: another worker owns it, or its result was
   * already applied — either way this result must be discarded, which keeps application exactly-once.
   */
  async complete(instanceId: string, row: WorkRow, completedAt: string, outcome?: ActivityOutcome): Promise<boolean> {
    try {
      await this.table.updateEntity(
        {
          partitionKey: escapeKey(instanceId),
          rowKey: row.rowKey,
          status: 'done',
          completedAt,
          ...encodeChunks('outcome', outcome ? JSON.stringify(outcome) : undefined),
        },
        'Merge',
        { etag: row.etag },
      );
      return true;
    } catch (error) {
      if (isConcurrencyFailure(error)) return false;
      throw error;
    }
  }

  /** Best-effort deletes (cleanup of rows nothing depends on any more). */
  async deleteRows(instanceId: string, rowKeys: string[]): Promise<void> {
    for (let i = 0; i < rowKeys.length; i += 100) {
      const batch = rowKeys
        .slice(i, i + 100)
        .map((rowKey): TransactionAction => ['delete', { partitionKey: escapeKey(instanceId), rowKey }]);
      try {
        await this.table.submitTransaction(batch);
      } catch {
        // A row deleted meanwhile fails the whole batch: fall back to one by one.
        for (const [, entity] of batch) {
          await this.table.deleteEntity(entity.partitionKey, entity.rowKey).catch(() => undefined);
        }
      }
    }
  }

  /** Deletes a finished instance: the state row first (If-Match), so a concurrent restart wins. */
  async purge(instanceId: string, etag: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(escapeKey(instanceId), STATE_ROW, { etag });
    } catch (error) {
      if (isConcurrencyFailure(error)) return false;
      throw error;
    }
    const rest: string[] = [];
    for await (const row of this.table.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${escapeKey(instanceId)}`, select: ['RowKey'] },
    })) {
      if (row.rowKey) rest.push(row.rowKey);
    }
    await this.deleteRows(instanceId, rest);
    return true;
  }

  private async submit(actions: TransactionAction[]): Promise<void> {
    try {
      await this.table.submitTransaction(actions);
    } catch (error) {
      if (isConcurrencyFailure(error)) throw new ConflictError('the instance changed concurrently', { cause: error });
      throw error;
    }
  }

  private encodeState(s: InstanceState): Entity {
    const entity: Entity = {
      partitionKey: escapeKey(s.instanceId),
      rowKey: STATE_ROW,
      ...statusColumns(s),
      executionId: s.executionId,
      pageCount: s.pageCount,
      ...encodeChunks('engine', JSON.stringify(s.engine)),
    };
    const size = [s.input, s.output, s.customStatus].reduce((n, t) => n + (t?.length ?? 0), 0);
    if (size > MAX_ENTITY_CHARS) {
      throw new PayloadTooLargeError(
        `input, output and custom status of ${s.instanceId} exceed ${MAX_ENTITY_CHARS} characters`,
      );
    }
    return entity;
  }

  private decodeState(row: Record<string, unknown>): InstanceState {
    const r = stateRowSchema.parse(row);
    // A finished instance needs no engine state; one failed for unreadable state must stay readable.
    const engine = isTerminal(r.runtimeStatus)
      ? safeEngine(row)
      : parseJson(engineStateSchema, decodeChunks(row, 'engine'), 'engine state');
    return {
      instanceId: r.instanceId,
      name: r.name,
      runtimeStatus: r.runtimeStatus,
      executionId: r.executionId,
      createdTime: r.createdTime,
      lastUpdatedTime: r.lastUpdatedTime,
      version: r.version,
      pageCount: r.pageCount,
      input: decodeChunks(row, 'input'),
      output: decodeChunks(row, 'output'),
      customStatus: decodeChunks(row, 'customStatus'),
      engine: engine ?? { slots: [], nextSeq: 0, lastTimestampMs: 0 },
    };
  }

  private encodePage(instanceId: string, executionId: string, n: number, events: HistoryEvent[]): Entity {
    return {
      partitionKey: escapeKey(instanceId),
      rowKey: pageKey(executionId, n),
      ...encodeChunks('events', JSON.stringify(events)),
    };
  }

  private encodeWork(instanceId: string, w: NewWorkRow): Entity {
    const common = {
      partitionKey: escapeKey(instanceId),
      rowKey: workKey(w.executionId, w.id),
      executionId: w.executionId,
      seq: w.id,
      kind: w.kind,
      status: 'pending',
    };
    return w.kind === 'activity'
      ? { ...common, name: w.name, ...encodeChunks('input', w.input) }
      : { ...common, fireAt: w.fireAt, dueAtMs: w.dueAtMs };
  }

  private decodeWork(rowKey: string, row: Record<string, unknown> & { etag?: string }): WorkRow {
    const r = workRowSchema.parse(row);
    return {
      rowKey,
      executionId: r.executionId,
      id: r.seq,
      kind: r.kind,
      status: r.status,
      name: r.name,
      input: decodeChunks(row, 'input'),
      fireAt: r.fireAt,
      dueAtMs: r.dueAtMs,
      leaseOwner: r.leaseOwner,
      leaseUntilMs: r.leaseUntilMs,
      completedAt: r.completedAt,
      outcome: parseJson(outcomeSchema, decodeChunks(row, 'outcome'), 'activity outcome'),
      etag: row.etag ?? '*',
    };
  }

  private encodeMessage(instanceId: string, rowKey: string, m: NewMessage, at: string): Entity {
    const base = { partitionKey: escapeKey(instanceId), rowKey, type: m.type, at };
    switch (m.type) {
      case 'start':
        return { ...base, executionId: m.executionId };
      case 'event':
        return { ...base, name: m.name, ...encodeChunks('data', m.data) };
      default:
        return { ...base, reason: m.reason };
    }
  }

  private decodeMessage(rowKey: string, row: Record<string, unknown>): PendingEvent {
    const r = messageRowSchema.parse(row);
    switch (r.type) {
      case 'start':
        return { rowKey, at: r.at, source: 'start', executionId: r.executionId ?? '' };
      case 'event':
        return { rowKey, at: r.at, source: 'event', name: r.name ?? '', data: decodeChunks(row, 'data') };
      default:
        return { rowKey, at: r.at, source: r.type, reason: r.reason ?? '' };
    }
  }
}

function safeEngine(row: Record<string, unknown>): EngineState | undefined {
  try {
    return parseJson(engineStateSchema, decodeChunks(row, 'engine'), 'engine state');
  } catch {
    return undefined;
  }
}

function safeChunks(row: Record<string, unknown>, prefix: string): string | undefined {
  try {
    return decodeChunks(row, prefix);
  } catch {
    return undefined;
  }
}

/** Work rows that finished are the pending completions an episode applies. */
export function completionOf(w: WorkRow): PendingEvent | undefined {
  if (w.status !== 'done') return undefined;
  const at = w.completedAt ?? new Date(0).toISOString();
  if (w.kind === 'timer')
    return { rowKey: w.rowKey, at, source: 'timer', executionId: w.executionId, id: w.id, fireAt: w.fireAt ?? at };
  if (!w.outcome) return undefined;
  return { rowKey: w.rowKey, at, source: 'activity', executionId: w.executionId, id: w.id, outcome: w.outcome };
}
