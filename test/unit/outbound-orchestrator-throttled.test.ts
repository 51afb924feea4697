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
import type { AutomaticOutcome } from '../../shared/outbound/tables';

/**
 * The v2 delivery orchestrator (retries throttled): after a retry's scheduled wait it asks the
 * send-slot activity for its subscription's slot and waits for it on a Durable timer before the
 * attempt. Driven from history fixtures like test/unit/outbound-orchestrator.test.ts.
 */
type Action = { kind: 'activity'; name: string; input: Record<string, unknown> } | { kind: 'timer'; fireAt: number };

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

function run(
  orchestrator: typeof deliveryOrchestrator,
  outcomes: AutomaticOutcome[],
  slots: (now: number) => SendSlot,
): { actions: Action[]; result: unknown } {
  let now = T0;
  const context: DeliveryOrchestrationContext<Action> = {
    df: {
      getInput: () => ({ v: 1, tenantId: 't1', deliveryId: 'D1' }),
      get currentUtcDateTime() {
        return new Date(now);
      },
      callActivity: (name, input) => ({ kind: 'activity', name, input: input as Record<string, unknown> }),
      createTimer: (fireAt) => ({ kind: 'timer', fireAt: fireAt.getTime() }),
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
    if (action.kind === 'timer') {
      now = action.fireAt;
      step = generator.next(undefined);
    } else if (action.name === ATTEMPT_ACTIVITY) {
      now += 800;
      step = generator.next(outcomes[nextOutcome++]);
    } else if (action.name === SEND_SLOT_ACTIVITY) {
      now += 5;
      step = generator.next(slots(now));
    } else {
      now += 5;
      step = generator.next(null);
    }
  }
  return { actions, result: step.value };
}

const names = (actions: Action[]) => actions.map((a) => (a.kind === 'timer' ? 'timer' : a.name));

describe('the throttled delivery orchestrator (v2)', () => {
  it('waits for the reserved slot after the schedule before each retry', () => {
    const { actions, result } = run(
      throttledDeliveryOrchestrator,
      [{ kind: 'retry' }, { kind: 'retry' }, { kind: 'succeeded' }],
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
    const scheduleTimer = actions[2] as { fireAt: number };
    const slotTimer = actions[4] as { fireAt: number };
    expect(slotTimer.fireAt).toBeGreaterThan(scheduleTimer.fireAt);
  });

  it('a retry with no slot to wait for (no limit, or the slot is now) goes at once', () => {
    const { actions } = run(throttledDeliveryOrchestrator, [{ kind: 'retry' }, { kind: 'succeeded' }], () => null);
    expect(names(actions)).toEqual([
      ATTEMPT_ACTIVITY,
      NEXT_ATTEMPT_ACTIVITY,
      'timer',
      SEND_SLOT_ACTIVITY,
      ATTEMPT_ACTIVITY,
    ]);
  });

  it('v1 keeps its action sequence for instances started before v2 (no send-slot activity)', () => {
    const { actions } = run(deliveryOrchestrator, [{ kind: 'retry' }, { kind: 'succeeded' }], () => {
      throw new Error('v1 asks for no slot');
    });
    expect(names(actions)).toEqual([ATTEMPT_ACTIVITY, NEXT_ATTEMPT_ACTIVITY, 'timer', ATTEMPT_ACTIVITY]);
  });
});
