import { describe, expect, it } from 'vitest';
import type { Action } from '../../local/durable/actions';
import {
  EMPTY_ENGINE_STATE,
  type EngineState,
  type PendingEvent,
  planActions,
  retryDelayMs,
  selectEpisode,
} from '../../local/durable/decisions';
import { EventType, type HistoryEvent, indexHistory } from '../../local/durable/history';

/**
 * The engine's scheduling rules, without storage: how pending completions become an episode and
 * how the action list becomes sequence ids and work. These are what keep the engine's ids equal to
 * the ids durable-functions' replay engine expects, and every result applied once.
 */
const T0 = Date.UTC(2026, 0, 1);
const at = (ms: number) => new Date(T0 + ms).toISOString();
const ev = (e: Partial<HistoryEvent> & Pick<HistoryEvent, 'EventType'>): HistoryEvent =>
  ({ EventId: -1, IsPlayed: false, Timestamp: at(0), ...e }) as HistoryEvent;

const started: HistoryEvent[] = [
  ev({ EventType: EventType.OrchestratorStarted }),
  ev({ EventType: EventType.ExecutionStarted, Name: 'o', Version: '' }),
  ev({ EventType: EventType.TaskScheduled, EventId: 0, Name: 'a' }),
  ev({ EventType: EventType.TimerCreated, EventId: 1, FireAt: at(60_000) }),
];

const done = (id: number, ms: number, ok = true, executionId = 'e1'): PendingEvent => ({
  rowKey: `work:${executionId}:${id}`,
  at: at(ms),
  source: 'activity',
  executionId,
  id,
  outcome: ok ? { ok: true, result: '1' } : { ok: false, reason: 'boom', details: '' },
});

function select(history: HistoryEvent[], pending: PendingEvent[], engine: EngineState = EMPTY_ENGINE_STATE) {
  return selectEpisode({
    executionId: 'e1',
    runtimeStatus: 'Running',
    started: history.some((e) => e.EventType === EventType.ExecutionStarted),
    history: indexHistory(history),
    engine,
    pending,
  });
}

describe('selectEpisode', () => {
  it('drops a completion already in the history, one for another execution, and one never scheduled', () => {
    const history = [...started, ev({ EventType: EventType.TaskCompleted, TaskScheduledId: 0, Result: '1' })];
    const selection = select(history, [done(0, 5), done(0, 6, true, 'e0'), done(7, 7)]);
    expect(selection).toEqual({ type: 'idle', drop: ['work:e1:0', 'work:e0:0', 'work:e1:7'] });
  });

  it('delivers the ExecutionStarted message before anything else', () => {
    const event: PendingEvent = { rowKey: 'msg:1', at: at(1), source: 'event', name: 'x', data: '1' };
    const start: PendingEvent = { rowKey: 'msg:2', at: at(2), source: 'start', executionId: 'e1' };
    const selection = select([], [event, start]);
    expect(selection.type === 'run' && selection.deliver.map((e) => e.rowKey)).toEqual(['msg:2', 'msg:1']);
  });

  it('delivers a retry failure alone at the end of an episode, later events wait', () => {
    const engine: EngineState = {
      slots: [
        { kind: 'retry', id: 0, name: 'a', attempt: 1, current: 0 },
        { kind: 'timer', id: 1 },
      ],
      nextSeq: 2,
      lastTimestampMs: T0,
    };
    const timer: PendingEvent = {
      rowKey: 'work:e1:1',
      at: at(9),
      source: 'timer',
      executionId: 'e1',
      id: 1,
      fireAt: at(60_000),
    };
    const selection = select(started, [done(0, 5, false), timer], engine);
    expect(selection.type).toBe('run');
    if (selection.type !== 'run') return;
    expect(selection.deliver.map((e) => e.rowKey)).toEqual(['work:e1:0']);
    expect(selection.chainEvent?.rowKey).toBe('work:e1:0');
  });

  it('applies a terminate before anything else and holds events while suspended', () => {
    const terminate: PendingEvent = { rowKey: 'msg:9', at: at(9), source: 'terminate', reason: 'stop' };
    expect(select(started, [done(0, 1), terminate]).type).toBe('terminate');
    const suspended = selectEpisode({
      executionId: 'e1',
      runtimeStatus: 'Suspended',
      started: true,
      history: indexHistory(started),
      engine: EMPTY_ENGINE_STATE,
      pending: [done(0, 1)],
    });
    expect(suspended.type).toBe('idle');
  });
});

describe('planActions', () => {
  const activity = (name: string): Action => ({ kind: 'activity', name, input: undefined });
  const timer = (ms: number, canceled = false): Action => ({ kind: 'timer', fireAt: at(ms), canceled });

  it('numbers new tasks in yield order; external events and continue-as-new take no number', () => {
    const plan = planActions({
      engine: EMPTY_ENGINE_STATE,
      actions: [activity('a'), { kind: 'event', name: 'go' }, timer(60_000), activity('b')],
      timestampMs: T0,
      timeScale: 60,
      chainEvent: undefined,
      isDone: false,
    });
    expect(plan.work).toEqual([
      { kind: 'activity', id: 0, name: 'a', input: undefined },
      // 60 s at scale 60 is due one real second after the episode's time.
      { kind: 'timer', id: 1, fireAt: at(60_000), dueAtMs: T0 + 1000 },
      { kind: 'activity', id: 2, name: 'b', input: undefined },
    ]);
    expect(plan.scheduled.map((e) => [e.EventType, e.EventId])).toEqual([
      [EventType.TaskScheduled, 0],
      [EventType.TimerCreated, 1],
      [EventType.TaskScheduled, 2],
    ]);
    expect(plan.engine.nextSeq).toBe(3);
  });

  it('decodes string inputs the way durable-functions encoded them', () => {
    const plan = planActions({
      engine: EMPTY_ENGINE_STATE,
      actions: [
        { kind: 'activity', name: 'a', input: JSON.stringify('hello') },
        { kind: 'activity', name: 'b', input: { n: 1 } },
      ],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    expect(plan.work.map((w) => (w.kind === 'activity' ? w.input : undefined))).toEqual(['"hello"', '{"n":1}']);
  });

  it('gives a retry timer, then the re-run, the next numbers after the episode’s new tasks', () => {
    const retry: Action = {
      kind: 'retry',
      name: 'flaky',
      input: undefined,
      retry: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2, backoffCoefficient: 2 },
    };
    const first = planActions({
      engine: EMPTY_ENGINE_STATE,
      actions: [retry],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    expect(first.work.map((w) => w.id)).toEqual([0]);

    // Attempt 0 failed while a new activity was yielded in the same episode: it takes 1, the retry timer 2.
    const failed = planActions({
      engine: first.engine,
      actions: [retry, activity('other')],
      timestampMs: T0 + 10,
      timeScale: 1,
      chainEvent: done(0, 10, false),
      isDone: false,
    });
    expect(failed.work).toEqual([
      { kind: 'activity', id: 1, name: 'other', input: undefined },
      { kind: 'timer', id: 2, fireAt: at(1010), dueAtMs: T0 + 1010 },
    ]);

    const timerFired: PendingEvent = {
      rowKey: 'work:e1:2',
      at: at(1010),
      source: 'timer',
      executionId: 'e1',
      id: 2,
      fireAt: at(1010),
    };
    const rerun = planActions({
      engine: failed.engine,
      actions: [retry, activity('other')],
      timestampMs: T0 + 1010,
      timeScale: 1,
      chainEvent: timerFired,
      isDone: false,
    });
    expect(rerun.work).toEqual([{ kind: 'activity', id: 3, name: 'flaky', input: undefined }]);

    // The second (last) attempt fails: a timer still follows, as the extension's retry loop does,
    // and when it fires no third attempt is scheduled — the replay engine fails the task.
    const lastFail = planActions({
      engine: rerun.engine,
      actions: [retry, activity('other')],
      timestampMs: T0 + 2000,
      timeScale: 1,
      chainEvent: done(3, 2000, false),
      isDone: false,
    });
    expect(lastFail.work).toEqual([{ kind: 'timer', id: 4, fireAt: at(4000), dueAtMs: T0 + 4000 }]);
    const exhausted = planActions({
      engine: lastFail.engine,
      actions: [retry, activity('other')],
      timestampMs: T0 + 4000,
      timeScale: 1,
      chainEvent: { rowKey: 'work:e1:4', at: at(4000), source: 'timer', executionId: 'e1', id: 4, fireAt: at(4000) },
      isDone: false,
    });
    expect(exhausted.work).toEqual([]);
  });

  it('fails on a changed action sequence (non-determinism) and on unsupported actions', () => {
    const first = planActions({
      engine: EMPTY_ENGINE_STATE,
      actions: [activity('a')],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    const changed = planActions({
      engine: first.engine,
      actions: [activity('b')],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    expect(changed.error).toMatch(/Non-deterministic workflow detected/);
    const sub = planActions({
      engine: EMPTY_ENGINE_STATE,
      actions: [{ kind: 'unsupported', actionType: 2 }],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    expect(sub.error).toMatch(/CallSubOrchestrator is not supported/);
  });

  it('reports a timer the orchestrator cancelled, once', () => {
    const first = planActions({
      engine: EMPTY_ENGINE_STATE,
      actions: [timer(5000)],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    const cancelled = planActions({
      engine: first.engine,
      actions: [timer(5000, true)],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    expect(cancelled.cancelledTimers).toEqual([0]);
    const again = planActions({
      engine: cancelled.engine,
      actions: [timer(5000, true)],
      timestampMs: T0,
      timeScale: 1,
      chainEvent: undefined,
      isDone: false,
    });
    expect(again.cancelledTimers).toEqual([]);
  });
});

describe('retryDelayMs', () => {
  it('grows by the backoff coefficient and stops at the max interval', () => {
    const retry = {
      firstRetryIntervalInMilliseconds: 100,
      maxNumberOfAttempts: 9,
      backoffCoefficient: 3,
      maxRetryIntervalInMilliseconds: 1000,
    };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(retry, n))).toEqual([100, 300, 900, 1000]);
    expect(retryDelayMs({ firstRetryIntervalInMilliseconds: 50, maxNumberOfAttempts: 3 }, 3)).toBe(50);
  });
});
