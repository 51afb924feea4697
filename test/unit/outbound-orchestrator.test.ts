import { describe, expect, it } from 'vitest';
import {
  ATTEMPT_ACTIVITY,
  type DeliveryOrchestrationContext,
  deliveryOrchestrator,
  NEXT_ATTEMPT_ACTIVITY,
  SEND_SLOT_ACTIVITY,
  type SendSlot,
  throttledDeliveryOrchestrator,
} from '../../shared/outbound/orchestrator';
import { parseRetryAfter, waitAfterAttempt } from '../../shared/outbound/schedule';
import type { AutomaticOutcome } from '../../shared/outbound/tables';

/**
 * The delivery orchestrator's action sequence, driven from history the way the replay engine
 * drives it: each yielded action is answered with the result a history fixture holds, and the
 * episode's `currentUtcDateTime` is the time that history says the answer arrived.
 */
type Action = { kind: 'activity'; name: string; input: Record<string, unknown> } | { kind: 'timer'; fireAt: string };

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

/**
 * `slots` answers the send-slot activity, which only the throttled orchestrator (v2) calls: after
 * a retry's scheduled wait it asks for its subscription's slot and waits for it on a timer.
 */
function run(
  outcomes: AutomaticOutcome[],
  orchestrator: typeof deliveryOrchestrator = deliveryOrchestrator,
  slots: (now: number) => SendSlot = () => null,
) {
  let now = T0;
  const context: DeliveryOrchestrationContext<Action> = {
    df: {
      getInput: () => ({ v: 1, tenantId: 't1', deliveryId: 'D1' }),
      get currentUtcDateTime() {
        return new Date(now);
      },
      callActivity: (name, input) => ({ kind: 'activity', name, input: input as Record<string, unknown> }),
      createTimer: (fireAt) => ({ kind: 'timer', fireAt: fireAt.toISOString() }),
      setCustomStatus: () => undefined,
    },
  };
  const actions: Action[] = [];
  const generator = orchestrator(context);
  let step = generator.next();
  let nextOutcome = 0;
  while (!step.done) {
    const action = step.value;
    actions.push(action);
    if (action.kind === 'activity' && action.name === ATTEMPT_ACTIVITY) {
      now += 800; // the attempt's own duration: the history's TaskCompleted comes this much later
      step = generator.next(outcomes[nextOutcome++]);
    } else if (action.kind === 'timer') {
      now = Date.parse(action.fireAt);
      step = generator.next(undefined);
    } else {
      now += 5;
      step = generator.next(action.name === SEND_SLOT_ACTIVITY ? slots(now) : null);
    }
  }
  return { actions, result: step.value };
}

const names = (actions: Action[]) => actions.map((a) => (a.kind === 'timer' ? 'timer' : a.name));

const retry: AutomaticOutcome = { kind: 'retry' };

describe('delivery orchestrator (from history fixtures)', () => {
  it('a receiver failing everything: five attempts, waits of 1 m, 5 m, 30 m and 2 h from the end of each failure', () => {
    const { actions, result } = run([retry, retry, retry, retry, { kind: 'failed' }]);
    expect(result).toBe('failed');
    const attempts = actions.filter((a) => a.kind === 'activity' && a.name === ATTEMPT_ACTIVITY);
    expect(attempts.map((a) => (a.kind === 'activity' ? a.input.k : 0))).toEqual([1, 2, 3, 4, 5]);
    const timers = actions
      .filter((a) => a.kind === 'timer')
      .map((a) => (a.kind === 'timer' ? Date.parse(a.fireAt) : 0));
    // Attempt k ends 800 ms after it starts; each timer fires `wait` after that end (+5 ms bookkeeping).
    const starts = [T0];
    for (const [i, wait] of [60_000, 300_000, 1_800_000, 7_200_000].entries()) {
      const failedAt = starts[i]! + 800;
      expect(timers[i]).toBe(failedAt + wait);
      starts.push(timers[i]!);
    }
    // Attempt starts relative to t0: +1 m, +6 m, +36 m, +2 h 36 m plus the attempt durations.
    expect(starts.map((s) => s - T0)).toEqual([0, 60_800, 361_600, 2_162_400, 9_363_200]);
    expect(actions.map((a) => (a.kind === 'timer' ? 'timer' : a.name))).toEqual([
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      ATTEMPT_ACTIVITY,
    ]);
  });

  it('recovers on the third attempt: succeeded after 3 attempts and 2 waits', () => {
    const { actions, result } = run([retry, retry, { kind: 'succeeded' }]);
    expect(result).toBe('succeeded');
    expect(actions.filter((a) => a.kind === 'activity' && a.name === ATTEMPT_ACTIVITY)).toHaveLength(3);
    expect(actions.filter((a) => a.kind === 'timer')).toHaveLength(2);
  });

  it('410 Gone and a stop (manual success, disabled subscription) end the orchestration at once', () => {
    expect(run([{ kind: 'gone' }]).result).toBe('gone');
    const stopped = run([retry, { kind: 'stopped', reason: 'already succeeded' }]);
    expect(stopped.result).toBe('stopped');
    expect(stopped.actions.filter((a) => a.kind === 'timer')).toHaveLength(1);
  });

  it('the next-attempt activity carries the fire time; no input holds anything but ids and times', () => {
    const { actions } = run([retry, { kind: 'succeeded' }]);
    const next = actions.find((a) => a.kind === 'activity' && a.name === NEXT_ATTEMPT_ACTIVITY);
    const timer = actions.find((a) => a.kind === 'timer');
    expect(next?.kind === 'activity' && next.input.nextAttemptAt).toBe(timer?.kind === 'timer' && timer.fireAt);
    for (const a of actions) {
      if (a.kind === 'activity')
        expect(Object.keys(a.input).sort()).toEqual(expect.arrayContaining(['deliveryId', 'tenantId', 'v']));
      if (a.kind === 'activity')
        expect(
          Object.keys(a.input).every((k) => ['v', 'tenantId', 'deliveryId', 'k', 'nextAttemptAt'].includes(k)),
        ).toBe(true);
    }
  });

  it('a Retry-After longer than the next step postpones it, capped at 2 h; a shorter one changes nothing', () => {
    expect(waitAfterAttempt(1, 30_000)).toBe(60_000);
    expect(waitAfterAttempt(1, 600_000)).toBe(600_000);
    expect(waitAfterAttempt(2, 10 * 3_600_000)).toBe(7_200_000);
    expect(waitAfterAttempt(4)).toBe(7_200_000);
    const { actions } = run([{ kind: 'retry', retryAfterMs: 900_000 }, { kind: 'succeeded' }]);
    const timer = actions.find((a) => a.kind === 'timer');
    expect(timer?.kind === 'timer' && Date.parse(timer.fireAt) - (T0 + 800)).toBe(900_000);
  });

  it('Retry-After: delta seconds or an HTTP date; zero, past or garbage means none', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter('0', now)).toBeUndefined();
    expect(parseRetryAfter(new Date(now - 1000).toUTCString(), now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('the throttled delivery orchestrator (v2)', () => {
  it('waits for the reserved slot after the schedule before each retry', () => {
    const { actions, result } = run(
      [{ kind: 'retry' }, { kind: 'retry' }, { kind: 'succeeded' }],
      throttledDeliveryOrchestrator,
      (now) => ({ at: new Date(now + 1_500).toISOString() }),
    );
    expect(result).toBe('succeeded');
    expect(names(actions)).toEqual([
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      SEND_SLOT_ACTIVITY,
      'timer',
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      SEND_SLOT_ACTIVITY,
      'timer',
      ATTEMPT_ACTIVITY,
    ]);
    const slotCalls = actions.filter((a) => a.kind === 'activity' && a.name === SEND_SLOT_ACTIVITY);
    expect(slotCalls.map((a) => (a.kind === 'activity' ? a.input.k : 0))).toEqual([2, 3]);
    // The attempt comes only after the slot's timer, not right after the schedule's.
    const scheduleTimer = actions[2] as { fireAt: string };
    const slotTimer = actions[4] as { fireAt: string };
    expect(Date.parse(slotTimer.fireAt)).toBeGreaterThan(Date.parse(scheduleTimer.fireAt));
  });

  it('a retry with no slot to wait for (no limit, or the slot is now) goes at once', () => {
    const { actions } = run([{ kind: 'retry' }, { kind: 'succeeded' }], throttledDeliveryOrchestrator, () => null);
    expect(names(actions)).toEqual([
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      SEND_SLOT_ACTIVITY,
      ATTEMPT_ACTIVITY,
    ]);
  });

  it('v1 keeps its action sequence for instances started before v2 (no send-slot activity)', () => {
    const { actions } = run([{ kind: 'retry' }, { kind: 'succeeded' }], deliveryOrchestrator, () => {
      throw new Error('v1 asks for no slot');
    });
    expect(names(actions)).toEqual([ATTEMPT_ACTIVITY, NEXT_ATTEMPT_ACTIVITY, 'timer', ATTEMPT_ACTIVITY]);
  });
});
