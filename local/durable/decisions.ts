import { z } from 'zod';
import { type Action, actionTypeName, decodeActionInput, type RetryOptions } from './actions';
import { EventType, type HistoryEvent, type HistoryIndex, iso } from './history';

/**
 * Pure scheduling logic: which pending events an episode delivers, and what new work the action
 * list returned by the replay engine asks for. This mirrors how the Durable extension walks the
 * cumulative action list, and how durable-functions' TaskOrchestrationExecutor numbers tasks:
 * every id-bearing task (activity, timer, first attempt of a retried activity) takes the next
 * sequence number in yield order; external events and continue-as-new take none; a retried
 * activity takes two more numbers per failed attempt (a retry timer, then the re-run), assigned
 * when the failure / timer event is processed.
 */

const slotSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('activity'), id: z.number().int(), name: z.string() }),
  z.object({ kind: z.literal('timer'), id: z.number().int(), cancelled: z.boolean().optional() }),
  z.object({
    kind: z.literal('retry'),
    id: z.number().int(),
    name: z.string(),
    /** Attempts started so far. */
    attempt: z.number().int(),
    /** Sequence id of the attempt in flight (or the last one). */
    current: z.number().int(),
    /** Sequence id of the retry timer being waited on, between a failure and the next attempt. */
    waitingTimer: z.number().int().optional(),
  }),
  z.object({ kind: z.literal('event'), name: z.string() }),
  z.object({ kind: z.literal('continueAsNew') }),
]);
export type Slot = z.infer<typeof slotSchema>;

/** What the engine remembers between episodes about the actions it has already turned into work. */
export const engineStateSchema = z.object({
  slots: z.array(slotSchema),
  nextSeq: z.number().int(),
  lastTimestampMs: z.number(),
});
export type EngineState = z.infer<typeof engineStateSchema>;

export const EMPTY_ENGINE_STATE: EngineState = { slots: [], nextSeq: 0, lastTimestampMs: 0 };

/** An activity outcome as stored on its work row and turned into TaskCompleted / TaskFailed. */
export type ActivityOutcome =
  | { ok: true; result: string }
  | {
      ok: false;
      reason: string;
      details: string;
      failureDetails?: { ErrorType: string; ErrorMessage: string; StackTrace?: string } | undefined;
    };

/** Something waiting to be applied to the history, read from the instance's partition. */
export type PendingEvent =
  | { rowKey: string; at: string; source: 'activity'; executionId: string; id: number; outcome: ActivityOutcome }
  | { rowKey: string; at: string; source: 'timer'; executionId: string; id: number; fireAt: string }
  | { rowKey: string; at: string; source: 'start'; executionId: string }
  | { rowKey: string; at: string; source: 'event'; name: string; data: string | undefined }
  | { rowKey: string; at: string; source: 'terminate' | 'suspend' | 'resume'; reason: string };

export type Selection =
  | { type: 'idle'; drop: string[] }
  | { type: 'terminate' | 'suspend' | 'resume'; reason: string; consume: string[]; drop: string[] }
  | { type: 'run'; deliver: PendingEvent[]; chainEvent: PendingEvent | undefined; drop: string[] };

/** Keeps one episode's batch (state + pages + deletes) well under Table Storage's 100-operation limit. */
export const MAX_EVENTS_PER_EPISODE = 40;
const MAX_DROPS_PER_EPISODE = 40;
const cap = (drop: string[]) => drop.slice(0, MAX_DROPS_PER_EPISODE);

function isChainEvent(e: PendingEvent, engine: EngineState): boolean {
  for (const slot of engine.slots) {
    if (slot.kind !== 'retry') continue;
    if (e.source === 'activity' && !e.outcome.ok && slot.waitingTimer === undefined && slot.current === e.id)
      return true;
    if (e.source === 'timer' && slot.waitingTimer === e.id) return true;
  }
  return false;
}

/**
 * Chooses the events of the next episode. Stale and duplicate completions are dropped (this is
 * what makes a re-executed activity or a re-fired timer apply exactly once). Control messages are
 * applied on their own. At most one retry-chain event is delivered, and last, so the sequence id
 * the replay engine gives the retry's follow-up task is known: it comes after every id the
 * episode's other new tasks took.
 */
export function selectEpisode(input: {
  executionId: string;
  runtimeStatus: string;
  started: boolean;
  history: HistoryIndex;
  engine: EngineState;
  pending: readonly PendingEvent[];
}): Selection {
  const drop: string[] = [];
  const live: PendingEvent[] = [];
  const seen = new Set<number>();
  const sorted = [...input.pending].sort((a, b) =>
    a.at === b.at ? (a.rowKey < b.rowKey ? -1 : 1) : a.at < b.at ? -1 : 1,
  );
  for (const e of sorted) {
    if (e.source === 'activity' || e.source === 'timer') {
      const scheduled = input.history.scheduled.get(e.id);
      const matches =
        e.executionId === input.executionId &&
        scheduled !== undefined &&
        scheduled.EventType === (e.source === 'activity' ? EventType.TaskScheduled : EventType.TimerCreated) &&
        !input.history.completed.has(e.id) &&
        !seen.has(e.id);
      if (!matches) {
        drop.push(e.rowKey);
        continue;
      }
      seen.add(e.id);
    } else if (e.source === 'start' && (e.executionId !== input.executionId || input.started)) {
      drop.push(e.rowKey);
      continue;
    }
    live.push(e);
  }

  const terminate = live.find((e) => e.source === 'terminate');
  if (terminate && terminate.source === 'terminate') {
    return { type: 'terminate', reason: terminate.reason, consume: [terminate.rowKey], drop: cap(drop) };
  }
  if (input.runtimeStatus === 'Suspended') {
    const resume = live.find((e) => e.source === 'resume');
    if (resume && resume.source === 'resume')
      return { type: 'resume', reason: resume.reason, consume: [resume.rowKey], drop: cap(drop) };
    return { type: 'idle', drop: cap(drop) };
  }
  // A resume for an instance that is not suspended has nothing to undo.
  for (const e of live) if (e.source === 'resume') drop.push(e.rowKey);

  // The ExecutionStarted event opens the history; nothing else is delivered before it.
  const start = live.find((e) => e.source === 'start');
  if (!input.started && !start) return { type: 'idle', drop: cap(drop) };
  const ordered = start ? [start, ...live.filter((e) => e !== start)] : live;

  const deliver: PendingEvent[] = [];
  let chainEvent: PendingEvent | undefined;
  for (const e of ordered) {
    if (e.source === 'resume') continue;
    if (e.source === 'suspend') {
      if (deliver.length === 0) return { type: 'suspend', reason: e.reason, consume: [e.rowKey], drop: cap(drop) };
      break;
    }
    if (deliver.length >= MAX_EVENTS_PER_EPISODE) break;
    if (isChainEvent(e, input.engine)) {
      chainEvent = e;
      deliver.push(e);
      break;
    }
    deliver.push(e);
  }
  if (deliver.length === 0) return { type: 'idle', drop: cap(drop) };
  return { type: 'run', deliver, chainEvent, drop: cap(drop) };
}

/** Turns a delivered pending event into the history event the replay engine reads. */
export function toHistoryEvent(
  e: PendingEvent,
  orchestration: { name: string; input: string | undefined },
): HistoryEvent {
  const common = { EventId: -1, IsPlayed: false, Timestamp: e.at };
  switch (e.source) {
    case 'start':
      return {
        ...common,
        EventType: EventType.ExecutionStarted,
        Name: orchestration.name,
        Input: orchestration.input,
        Version: '',
      };
    case 'event':
      return { ...common, EventType: EventType.EventRaised, Name: e.name, Input: e.data };
    case 'timer':
      return { ...common, EventType: EventType.TimerFired, TimerId: e.id, FireAt: e.fireAt };
    case 'activity':
      return e.outcome.ok
        ? { ...common, EventType: EventType.TaskCompleted, TaskScheduledId: e.id, Result: e.outcome.result }
        : {
            ...common,
            EventType: EventType.TaskFailed,
            TaskScheduledId: e.id,
            Reason: e.outcome.reason,
            Details: e.outcome.details,
            ...(e.outcome.failureDetails ? { FailureDetails: e.outcome.failureDetails } : {}),
          };
    default:
      throw new Error(`${e.source} is a control message, not a history event`);
  }
}

export type NewWork =
  | { kind: 'activity'; id: number; name: string; input: string | undefined }
  | { kind: 'timer'; id: number; fireAt: string; dueAtMs: number };

export interface Plan {
  engine: EngineState;
  /** TaskScheduled / TimerCreated for every new task, in id order. */
  scheduled: HistoryEvent[];
  work: NewWork[];
  /** Pending timers the orchestrator cancelled (e.g. the losing timeout of a Task.any). */
  cancelledTimers: number[];
  /** Set when the action list cannot be executed: the orchestration fails with this message. */
  error?: string;
  continueAsNew?: { input: string | undefined };
}

/** .NET RetryOptions.ComputeNextDelay: first × coefficient^(failures−1), capped by the max interval. */
export function retryDelayMs(retry: RetryOptions, failedAttempts: number): number {
  const coefficient = retry.backoffCoefficient && retry.backoffCoefficient > 0 ? retry.backoffCoefficient : 1;
  const delay = retry.firstRetryIntervalInMilliseconds * coefficient ** Math.max(0, failedAttempts - 1);
  const cap = retry.maxRetryIntervalInMilliseconds;
  return cap && cap > 0 ? Math.min(delay, cap) : delay;
}

function encodeInput(input: unknown): string | undefined {
  const value = decodeActionInput(input);
  return value === undefined ? undefined : JSON.stringify(value);
}

/**
 * Walks the cumulative action list against the slots already known. `timestampMs` is the episode's
 * OrchestratorStarted time (the orchestrator's currentUtcDateTime); `timeScale` compresses waits.
 */
export function planActions(input: {
  engine: EngineState;
  actions: readonly Action[];
  timestampMs: number;
  timeScale: number;
  chainEvent: PendingEvent | undefined;
  isDone: boolean;
}): Plan {
  const engine: EngineState = {
    slots: input.engine.slots.map((s) => ({ ...s })),
    nextSeq: input.engine.nextSeq,
    lastTimestampMs: Math.max(input.engine.lastTimestampMs, input.timestampMs),
  };
  const plan: Plan = { engine, scheduled: [], work: [], cancelledTimers: [] };
  const ts = iso(input.timestampMs);
  const addTimer = (id: number, fireAt: string) => {
    const fireAtMs = Date.parse(fireAt);
    const dueAtMs = input.timestampMs + Math.max(0, fireAtMs - input.timestampMs) / input.timeScale;
    plan.scheduled.push({
      EventType: EventType.TimerCreated,
      EventId: id,
      IsPlayed: false,
      Timestamp: ts,
      FireAt: fireAt,
    });
    plan.work.push({ kind: 'timer', id, fireAt, dueAtMs });
  };
  const addActivity = (id: number, name: string, actionInput: unknown) => {
    const encoded = encodeInput(actionInput);
    plan.scheduled.push({
      EventType: EventType.TaskScheduled,
      EventId: id,
      IsPlayed: false,
      Timestamp: ts,
      Name: name,
      Input: encoded,
    });
    plan.work.push({ kind: 'activity', id, name, input: encoded });
  };

  if (input.actions.length < engine.slots.length) {
    plan.error = `Non-deterministic workflow detected: the orchestrator yielded ${input.actions.length} actions on replay, ${engine.slots.length} before.`;
    return plan;
  }
  for (let i = 0; i < engine.slots.length; i++) {
    const slot = engine.slots[i]!;
    const action = input.actions[i]!;
    const sameName = 'name' in slot && 'name' in action ? slot.name === action.name : true;
    if (slot.kind !== action.kind || !sameName) {
      plan.error = `Non-deterministic workflow detected: action ${i} was ${describe(slot)} and is now ${describeAction(action)}.`;
      return plan;
    }
    if (slot.kind === 'timer' && action.kind === 'timer' && action.canceled && !slot.cancelled) {
      slot.cancelled = true;
      plan.cancelledTimers.push(slot.id);
    }
  }

  for (let i = engine.slots.length; i < input.actions.length; i++) {
    const action = input.actions[i]!;
    switch (action.kind) {
      case 'activity': {
        const id = engine.nextSeq++;
        engine.slots.push({ kind: 'activity', id, name: action.name });
        addActivity(id, action.name, action.input);
        break;
      }
      case 'retry': {
        const id = engine.nextSeq++;
        engine.slots.push({ kind: 'retry', id, name: action.name, attempt: 1, current: id });
        addActivity(id, action.name, action.input);
        break;
      }
      case 'timer': {
        const id = engine.nextSeq++;
        engine.slots.push({ kind: 'timer', id });
        addTimer(id, action.fireAt);
        break;
      }
      case 'event':
        engine.slots.push({ kind: 'event', name: action.name });
        break;
      case 'continueAsNew':
        engine.slots.push({ kind: 'continueAsNew' });
        break;
      case 'unsupported':
      case 'compound':
        plan.error = `${describeAction(action)} is not supported by the local durable engine (see docs/local-durable.md).`;
        return plan;
    }
  }

  // The retry chain's follow-up id comes after every id the episode's new actions took.
  const chain = input.chainEvent;
  if (chain && (chain.source === 'activity' || chain.source === 'timer')) {
    const index = engine.slots.findIndex(
      (s) => s.kind === 'retry' && (chain.source === 'activity' ? s.current === chain.id : s.waitingTimer === chain.id),
    );
    const slot = engine.slots[index];
    const action = input.actions[index];
    if (slot?.kind === 'retry' && action?.kind === 'retry') {
      if (chain.source === 'activity') {
        const id = engine.nextSeq++;
        slot.waitingTimer = id;
        addTimer(id, iso(input.timestampMs + retryDelayMs(action.retry, slot.attempt)));
      } else {
        slot.waitingTimer = undefined;
        if (slot.attempt < action.retry.maxNumberOfAttempts) {
          const id = engine.nextSeq++;
          slot.attempt += 1;
          slot.current = id;
          addActivity(id, action.name, action.input);
        }
      }
    }
  }

  const last = input.actions[input.actions.length - 1];
  if (input.isDone && last?.kind === 'continueAsNew') plan.continueAsNew = { input: encodeInput(last.input) };
  return plan;
}

function describe(slot: Slot): string {
  return 'name' in slot ? `${slot.kind} '${slot.name}'` : slot.kind;
}

function describeAction(action: Action): string {
  if (action.kind === 'unsupported') return actionTypeName(action.actionType);
  return 'name' in action ? `${action.kind} '${action.name}'` : action.kind;
}
