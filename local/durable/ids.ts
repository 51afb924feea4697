import { monotonicFactory } from 'ulid';
import { nowMs } from '../../shared/clock';

/**
 * Time-ordered ids (ULIDs on the injected clock). Execution ids sort by age, so cleanup can tell
 * the rows of an older execution (safe to delete) from those of a newer one it has not seen yet.
 * Message row keys sort by arrival, which is the order an episode applies them in.
 */
const next = monotonicFactory();

export function newExecutionId(): string {
  return next(nowMs());
}

export function newMessageKey(): string {
  return `msg:${next(nowMs())}`;
}
