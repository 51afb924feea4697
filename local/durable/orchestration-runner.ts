import { createInvocationContext, type HostLog } from '../invocation';
import type { FunctionRegistry } from '../registry';
import { flattenActions, type OrchestratorState, orchestratorStateSchema } from './actions';
import { MAX_ENTITY_CHARS } from './chunked';
import { EMPTY_ENGINE_STATE, type PendingEvent, planActions, type Selection, toHistoryEvent } from './decisions';
import { EventType, type HistoryEvent, iso, NO_EVENT_ID } from './history';
import { newExecutionId, newMessageKey } from './ids';
import { type InstanceState, type NewMessage, type NewWorkRow, type Snapshot, workKey } from './instance-store';

/**
 * One orchestration episode: hand the history plus the selected new events to the real
 * durable-functions replay engine (the function's registered callback), read back the cumulative
 * action list, and turn it into the next state, the new history page and the new work — all of it
 * committed together by the caller.
 */
export interface EpisodeCommit {
  state: InstanceState;
  pages: { n: number; events: HistoryEvent[] }[];
  consumed: string[];
  work: NewWorkRow[];
  messages: { key: string; message: NewMessage }[];
  /** Rows that may be deleted once the commit stands (cancelled timers, work of a finished instance). */
  cleanup: string[];
}

/**
 * What this engine tells the replay engine about itself, as the Durable extension does: schema V4
 * (`upperSchemaVersionNew`; V3+ needs the timer fields). Timers are not split into 3-day pieces
 * locally, so the "short timer" limit is set beyond any real wait and LongTimerTask never appears.
 */
const BINDING_INFO = {
  upperSchemaVersion: 2,
  upperSchemaVersionNew: 3,
  maximumShortTimerDuration: '36500.00:00:00',
  longRunningTimerIntervalDuration: '3.00:00:00',
  defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
} as const;

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

interface Outcome {
  state?: OrchestratorState;
  error?: string;
}

function parseJson(text: string | undefined): unknown {
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

async function invoke(
  registry: FunctionRegistry,
  log: HostLog,
  snapshot: Snapshot,
  history: HistoryEvent[],
): Promise<Outcome> {
  const { state } = snapshot.stored;
  const fn = registry.get(state.name);
  if (fn?.trigger.type !== 'orchestrationTrigger') {
    return { error: `The function '${state.name}' doesn't exist, is disabled, or is not an orchestrator function.` };
  }
  const trigger = {
    ...BINDING_INFO,
    // The replay engine mutates events (Timestamp → Date), so it gets its own copy.
    history: structuredClone(history),
    input: parseJson(state.input),
    instanceId: state.instanceId,
    isReplaying: snapshot.history.length > 0,
    parentInstanceId: undefined,
  };
  const context = createInvocationContext(fn, log, { logFields: { instanceId: state.instanceId } });
  let raw: unknown;
  try {
    raw = await fn.callback(trigger, context);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(OUT_OF_PROC_LABEL);
    if (at < 0) return { error: message };
    // OrchestrationFailureError carries the state (actions, custom status, the orchestrator's error
    // message) after a label; the text before it is not the error (in 3.5 it reads "false").
    const parsed = orchestratorStateSchema.safeParse(JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)));
    if (!parsed.success) return { error: message.slice(0, at) };
    return { error: parsed.data.error ?? message.slice(0, at), state: parsed.data };
  }
  // The worker would send this over gRPC as JSON; the round trip gives the same shapes (ISO dates).
  const parsed = orchestratorStateSchema.safeParse(JSON.parse(JSON.stringify(raw ?? null)));
  if (!parsed.success) return { error: `The orchestrator returned an unexpected result: ${parsed.error.message}` };
  return { state: parsed.data };
}

/** Splits an episode's events into pages that each fit one entity. */
function paginate(events: HistoryEvent[], firstPage: number): { n: number; events: HistoryEvent[] }[] {
  const pages: { n: number; events: HistoryEvent[] }[] = [];
  let current: HistoryEvent[] = [];
  let size = 2;
  for (const e of events) {
    const length = JSON.stringify(e).length + 1;
    if (current.length > 0 && size + length > MAX_ENTITY_CHARS) {
      pages.push({ n: firstPage + pages.length, events: current });
      current = [];
      size = 2;
    }
    current.push(e);
    size += length;
  }
  if (current.length > 0) pages.push({ n: firstPage + pages.length, events: current });
  return pages;
}

function pendingWorkRows(snapshot: Snapshot): string[] {
  return snapshot.work.filter((w) => w.status === 'pending').map((w) => w.rowKey);
}

function nextState(snapshot: Snapshot, changes: Partial<InstanceState>, nowMs: number, pages: number): InstanceState {
  const prev = snapshot.stored.state;
  return {
    ...prev,
    ...changes,
    lastUpdatedTime: iso(nowMs),
    version: prev.version + 1,
    pageCount: changes.pageCount ?? prev.pageCount + pages,
  };
}

export interface EpisodeContext {
  registry: FunctionRegistry;
  log: HostLog;
  timeScale: number;
  nowMs: number;
}

/** Terminate, suspend and resume change the status without running orchestrator code. */
export function controlEpisode(
  ctx: EpisodeContext,
  snapshot: Snapshot,
  selection: Extract<Selection, { type: 'terminate' | 'suspend' | 'resume' }>,
): EpisodeCommit {
  const ts = iso(ctx.nowMs);
  const common = { EventId: NO_EVENT_ID, IsPlayed: false, Timestamp: ts };
  const consumed = [...selection.consume, ...selection.drop];
  let event: HistoryEvent;
  let changes: Partial<InstanceState>;
  let cleanup: string[] = [];
  if (selection.type === 'terminate') {
    event = { ...common, EventType: EventType.ExecutionTerminated, Input: selection.reason };
    changes = { runtimeStatus: 'Terminated', output: JSON.stringify(selection.reason) };
    cleanup = pendingWorkRows(snapshot);
  } else if (selection.type === 'suspend') {
    event = { ...common, EventType: EventType.ExecutionSuspended, Reason: selection.reason };
    changes = { runtimeStatus: 'Suspended' };
  } else {
    event = { ...common, EventType: EventType.ExecutionResumed, Reason: selection.reason };
    changes = { runtimeStatus: 'Running' };
  }
  const pages = paginate([event], snapshot.stored.state.pageCount);
  return {
    state: nextState(snapshot, changes, ctx.nowMs, pages.length),
    pages,
    consumed,
    work: [],
    messages: [],
    cleanup,
  };
}

/** Runs the orchestrator over history + `deliver` and plans what follows. */
export async function runEpisode(
  ctx: EpisodeContext,
  snapshot: Snapshot,
  selection: Extract<Selection, { type: 'run' }>,
): Promise<EpisodeCommit> {
  const prev = snapshot.stored.state;
  // currentUtcDateTime for this episode: now, but never earlier than an earlier episode's time.
  const timestampMs = Math.max(ctx.nowMs, prev.engine.lastTimestampMs);
  const ts = iso(timestampMs);
  const started: HistoryEvent = {
    EventType: EventType.OrchestratorStarted,
    EventId: NO_EVENT_ID,
    IsPlayed: false,
    Timestamp: ts,
  };
  const delivered = selection.deliver.map((e: PendingEvent) =>
    toHistoryEvent(e, { name: prev.name, input: prev.input }),
  );
  const replayed = snapshot.history.map((e) => ({ ...e, IsPlayed: true }));
  const outcome = await invoke(ctx.registry, ctx.log, snapshot, [...replayed, started, ...delivered]);

  const actions = outcome.state ? flattenActions(outcome.state.actions) : [];
  const plan = planActions({
    engine: prev.engine,
    actions,
    timestampMs,
    timeScale: ctx.timeScale,
    chainEvent: selection.chainEvent,
    isDone: outcome.state?.isDone === true && outcome.error === undefined,
  });
  const error = outcome.error ?? plan.error;
  const customStatus =
    outcome.state && outcome.state.customStatus !== undefined
      ? JSON.stringify(outcome.state.customStatus)
      : prev.customStatus;
  const consumed = [...selection.deliver.map((e) => e.rowKey), ...selection.drop];
  const finished: HistoryEvent = {
    EventType: EventType.OrchestratorCompleted,
    EventId: NO_EVENT_ID,
    IsPlayed: false,
    Timestamp: ts,
  };
  const common = { EventId: NO_EVENT_ID, IsPlayed: false, Timestamp: ts };

  if (error !== undefined) {
    const message = `Orchestrator function '${prev.name}' failed: ${error}`;
    const events: HistoryEvent[] = [
      started,
      ...delivered,
      {
        ...common,
        EventType: EventType.ExecutionCompleted,
        OrchestrationStatus: 'Failed',
        Result: JSON.stringify(message),
      },
      finished,
    ];
    const pages = paginate(events, prev.pageCount);
    return {
      state: nextState(
        snapshot,
        { runtimeStatus: 'Failed', output: JSON.stringify(message), customStatus, engine: plan.engine },
        ctx.nowMs,
        pages.length,
      ),
      pages,
      consumed,
      work: [],
      messages: [],
      cleanup: pendingWorkRows(snapshot),
    };
  }

  if (plan.continueAsNew) {
    // A fresh execution: new id, empty history; the old execution's rows are cleaned up afterwards.
    const executionId = newExecutionId();
    return {
      state: nextState(
        snapshot,
        {
          runtimeStatus: 'Running',
          executionId,
          input: plan.continueAsNew.input,
          output: undefined,
          customStatus,
          engine: { ...EMPTY_ENGINE_STATE, lastTimestampMs: timestampMs },
          pageCount: 0,
        },
        ctx.nowMs,
        0,
      ),
      pages: [],
      consumed,
      work: [],
      messages: [{ key: newMessageKey(), message: { type: 'start', executionId } }],
      cleanup: pendingWorkRows(snapshot),
    };
  }

  const done = outcome.state?.isDone === true;
  const output = JSON.stringify(outcome.state?.output ?? null);
  const events: HistoryEvent[] = [started, ...delivered, ...plan.scheduled];
  if (done)
    events.push({
      ...common,
      EventType: EventType.ExecutionCompleted,
      OrchestrationStatus: 'Completed',
      Result: output,
    });
  events.push(finished);
  const pages = paginate(events, prev.pageCount);
  const work: NewWorkRow[] = done ? [] : plan.work.map((w) => ({ ...w, executionId: prev.executionId }));
  const cancelled = plan.cancelledTimers.map((id) => workKey(prev.executionId, id));
  return {
    state: nextState(
      snapshot,
      {
        runtimeStatus: done ? 'Completed' : 'Running',
        output: done ? output : undefined,
        customStatus,
        engine: plan.engine,
      },
      ctx.nowMs,
      pages.length,
    ),
    pages,
    consumed,
    work,
    messages: [],
    cleanup: done
      ? pendingWorkRows(snapshot)
      : cancelled.filter((key) => snapshot.work.some((w) => w.rowKey === key && w.status === 'pending')),
  };
}
