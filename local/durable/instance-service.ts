import { randomUUID } from 'node:crypto';
import { nowMs } from '../../shared/clock';
import { AlreadyExistsError, ConflictError } from '../../shared/storage/errors';
import type { FunctionRegistry } from '../registry';
import { EMPTY_ENGINE_STATE } from './decisions';
import { EVENT_TYPE_NAMES, EventType, type HistoryEvent, iso } from './history';
import { newExecutionId, newMessageKey } from './ids';
import type { IndexRow, IndexStore } from './index-store';
import {
  type InstanceState,
  type InstanceStore,
  isTerminal,
  type NewMessage,
  type RuntimeStatus,
} from './instance-store';

/**
 * The operations behind the durable client (and the RPC/webhook API): start, status, list, raise
 * event, terminate, suspend/resume, purge. Each one writes a message row into the instance's
 * partition and asks the reconciler to act; none of them touches the history directly.
 */
export interface OrchestrationStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  history?: Record<string, unknown>[];
}

export type StartResult =
  | { type: 'started'; instanceId: string }
  | { type: 'conflict'; instanceId: string; runtimeStatus: RuntimeStatus }
  | { type: 'unknown-orchestrator' };

export type SignalResult = 'accepted' | 'not-found' | 'gone';

export interface ListFilter {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  showInput?: boolean;
}

const parse = (text: string | undefined): unknown => (text === undefined ? null : (JSON.parse(text) as unknown));

export function projectStatus(s: InstanceState | IndexRow, options: { showInput?: boolean } = {}): OrchestrationStatus {
  return {
    name: s.name,
    instanceId: s.instanceId,
    runtimeStatus: s.runtimeStatus,
    // The client requires `input` and `output` keys, null when there is none.
    input: options.showInput === false ? null : parse(s.input),
    customStatus: parse(s.customStatus),
    output: parse(s.output),
    createdTime: s.createdTime,
    lastUpdatedTime: s.lastUpdatedTime,
  };
}

/**
 * The summarised history the extension's status API returns with showHistory=true: the events a
 * person reads (not the OrchestratorStarted/Completed bookkeeping), names instead of numbers, and
 * each completion carrying its function name and scheduled time.
 */
export function summariseHistory(history: readonly HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    const base = { EventType: EVENT_TYPE_NAMES[e.EventType] ?? String(e.EventType), Timestamp: e.Timestamp };
    switch (e.EventType) {
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        break;
      case EventType.TaskScheduled:
        scheduled.set(e.EventId, e);
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed: {
        const s = scheduled.get(e.TaskScheduledId);
        out.push({
          ...base,
          TaskScheduledId: e.TaskScheduledId,
          FunctionName: s?.EventType === EventType.TaskScheduled ? s.Name : undefined,
          ScheduledTime: s?.Timestamp,
          ...(e.EventType === EventType.TaskCompleted
            ? showOutput
              ? { Result: parse(e.Result) }
              : {}
            : { Reason: e.Reason, Details: e.Details }),
        });
        break;
      }
      case EventType.ExecutionStarted:
        out.push({ ...base, FunctionName: e.Name, ...(showOutput ? { Input: parse(e.Input) } : {}) });
        break;
      case EventType.ExecutionCompleted:
        out.push({
          ...base,
          OrchestrationStatus: e.OrchestrationStatus,
          ...(showOutput ? { Result: parse(e.Result) } : {}),
        });
        break;
      case EventType.TimerCreated:
        out.push({ ...base, TimerId: e.EventId, FireAt: e.FireAt });
        break;
      case EventType.TimerFired:
        out.push({ ...base, TimerId: e.TimerId, FireAt: e.FireAt });
        break;
      case EventType.EventRaised:
        out.push({ ...base, Name: e.Name, ...(showOutput ? { Input: parse(e.Input) } : {}) });
        break;
      default:
        out.push({
          ...base,
          ...('Reason' in e ? { Reason: e.Reason } : {}),
          ...('Input' in e ? { Input: e.Input } : {}),
        });
    }
  }
  return out;
}

export interface InstanceServiceOptions {
  store: InstanceStore;
  index: IndexStore;
  registry: FunctionRegistry;
  kick: (instanceId: string) => void;
  crashPoint: (name: string) => void;
  /** Creates the tables on first use, so the API works even before the engine's start() finished. */
  ready: () => Promise<void>;
}

export class InstanceService {
  constructor(private readonly o: InstanceServiceOptions) {}

  /**
   * Starts `name`. With an explicit id that is taken: a Pending/Running/Suspended instance is left
   * alone and the call answers conflict (the extension's default `overridableExistingInstanceStates:
   * NonRunningStates`); a Completed/Failed/Terminated one is replaced by a new execution, as the
   * extension does. docs/design.md §8.2 has callers read the status first and leave finished ones alone.
   */
  async start(name: string, options: { instanceId?: string; input?: string } = {}): Promise<StartResult> {
    await this.o.ready();
    const fn = this.o.registry.get(name);
    if (fn?.trigger.type !== 'orchestrationTrigger') return { type: 'unknown-orchestrator' };
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    const existing = await this.o.store.readState(instanceId);
    if (existing && !isTerminal(existing.state.runtimeStatus)) {
      return { type: 'conflict', instanceId, runtimeStatus: existing.state.runtimeStatus };
    }
    const now = iso(nowMs());
    const executionId = newExecutionId();
    const state: InstanceState = {
      instanceId,
      name,
      runtimeStatus: 'Pending',
      executionId,
      createdTime: now,
      lastUpdatedTime: now,
      version: (existing?.state.version ?? 0) + 1,
      pageCount: 0,
      input: options.input,
      output: undefined,
      customStatus: undefined,
      engine: EMPTY_ENGINE_STATE,
    };
    // The index row goes first: the restart sweep finds in-flight instances through it, so an
    // instance must never exist without one. A crash right here leaves an index row without an
    // instance, which the sweep removes.
    await this.o.index.project(state, { force: true });
    this.o.crashPoint('durable.start.after-index');
    const start: NewMessage = { type: 'start', executionId };
    try {
      if (existing) await this.o.store.replace(state, existing.etag, start, newMessageKey());
      else await this.o.store.create(state, start, newMessageKey());
    } catch (error) {
      if (error instanceof AlreadyExistsError || error instanceof ConflictError) {
        // Someone else started (or restarted) this id between our read and our write.
        const now = await this.o.store.readState(instanceId);
        if (now) await this.o.index.project(now.state, { force: true });
        return { type: 'conflict', instanceId, runtimeStatus: now?.state.runtimeStatus ?? 'Pending' };
      }
      throw error;
    }
    this.o.kick(instanceId);
    return { type: 'started', instanceId };
  }

  async status(
    instanceId: string,
    options: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean } = {},
  ): Promise<OrchestrationStatus | undefined> {
    await this.o.ready();
    if (!options.showHistory) {
      const stored = await this.o.store.readState(instanceId);
      return stored ? projectStatus(stored.state, options) : undefined;
    }
    const snapshot = await this.o.store.load(instanceId);
    if (!snapshot) return undefined;
    return {
      ...projectStatus(snapshot.stored.state, options),
      history: summariseHistory(snapshot.history, options.showHistoryOutput === true),
    };
  }

  /** The raw history of the current execution, as the replay engine receives it (for tests and tools). */
  async history(instanceId: string): Promise<HistoryEvent[] | undefined> {
    await this.o.ready();
    return (await this.o.store.load(instanceId))?.history;
  }

  async list(filter: ListFilter = {}): Promise<OrchestrationStatus[]> {
    await this.o.ready();
    const rows = await this.o.index.list(filter.runtimeStatus ?? []);
    return rows
      .filter((r) => !filter.createdTimeFrom || Date.parse(r.createdTime) >= filter.createdTimeFrom.getTime())
      .filter((r) => !filter.createdTimeTo || Date.parse(r.createdTime) <= filter.createdTimeTo.getTime())
      .sort((a, b) => (a.createdTime < b.createdTime ? 1 : -1))
      .map((r) => projectStatus(r, { showInput: filter.showInput !== false }));
  }

  raiseEvent(instanceId: string, name: string, data: string | undefined): Promise<SignalResult> {
    return this.signal(instanceId, { type: 'event', name, data });
  }

  terminate(instanceId: string, reason: string): Promise<SignalResult> {
    return this.signal(instanceId, { type: 'terminate', reason });
  }

  suspend(instanceId: string, reason: string): Promise<SignalResult> {
    return this.signal(instanceId, { type: 'suspend', reason });
  }

  resume(instanceId: string, reason: string): Promise<SignalResult> {
    return this.signal(instanceId, { type: 'resume', reason });
  }

  /** Deletes a finished instance and its history. Running instances are not purged (0 deleted). */
  async purge(instanceId: string): Promise<'purged' | 'not-found' | 'running'> {
    await this.o.ready();
    const stored = await this.o.store.readState(instanceId);
    if (!stored) return 'not-found';
    if (!isTerminal(stored.state.runtimeStatus)) return 'running';
    if (!(await this.o.store.purge(instanceId, stored.etag))) return 'running';
    await this.o.index.delete(instanceId);
    return 'purged';
  }

  async purgeBy(filter: ListFilter): Promise<number> {
    const candidates = await this.list({ ...filter, showInput: false });
    let deleted = 0;
    for (const c of candidates) if ((await this.purge(c.instanceId)) === 'purged') deleted++;
    return deleted;
  }

  /** Raise/terminate/suspend/resume: 'gone' for a finished instance, as the extension answers 410. */
  private async signal(instanceId: string, message: NewMessage): Promise<SignalResult> {
    await this.o.ready();
    const stored = await this.o.store.readState(instanceId);
    if (!stored) return 'not-found';
    if (isTerminal(stored.state.runtimeStatus)) return 'gone';
    await this.o.store.addMessage(instanceId, newMessageKey(), message, iso(nowMs()));
    this.o.kick(instanceId);
    return 'accepted';
  }
}
