import type { Stage } from '../events/contract';

/**
 * Where the last error of a stage delivery that threw is kept. Service Bus keeps no application
 * error: a message that throws until maxDeliveryCount reaches the dead-letter queue with reason
 * MaxDeliveryCountExceeded and the broker's count text only. So the stage runner writes each such
 * delivery's error on the event's timeline, on a row of its own (step `<step>@delivery-<n>`,
 * outcome `retrying`, error type `crashed`) — never the attempt's own row, which is the
 * idempotency record and must stay free so the redelivery runs the work again — and the Failure
 * Analysis reads the newest of them (docs/pipeline.md, docs/bus.md "The dead-letter path").
 */
const MARK = '@delivery-';

export const CRASHED = 'crashed';

export function crashTimelineStep(step: string, deliveryCount: number): string {
  return `${step}${MARK}${deliveryCount}`;
}

interface TimelineRow {
  stage: Stage;
  step: string;
  attempt: number;
  errorType?: string;
  message?: string;
}

/** The newest recorded crash of one stage attempt (highest delivery count), if any was recorded. */
export function lastCrashOf<T extends TimelineRow>(
  timeline: readonly T[],
  stage: Stage,
  step: string,
  attempt: number,
): (T & { deliveryCount: number }) | undefined {
  let last: (T & { deliveryCount: number }) | undefined;
  const prefix = `${step}${MARK}`;
  for (const row of timeline) {
    if (row.stage !== stage || row.attempt !== attempt || row.errorType !== CRASHED) continue;
    if (!row.step.startsWith(prefix)) continue;
    const deliveryCount = Number(row.step.slice(prefix.length));
    if (!Number.isInteger(deliveryCount)) continue;
    if (!last || deliveryCount > last.deliveryCount) last = { ...row, deliveryCount };
  }
  return last;
}
