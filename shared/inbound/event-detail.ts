import { pollUntil } from '../clock/poll-until';
import { ResourceNotFoundError } from '../errors/domain-error';
import type { EventStatus, NormalizedEvent } from '../events/contract';
import { loadEventRecord } from '../events/event-store';
import { loadTimeline, type TimelineEntry } from '../events/timeline';
import { type FailureView, failureOfEvent } from '../failures/analysis';
import { type EventSummary, summaryOf } from './list-events';

/** `GET /api/v1/events/{id}`: the event, its timeline, its failure analysis; replays are added by the caller. */
export interface EventDetail extends EventSummary {
  rootEventId: string;
  sopId: string | null;
  agentRunId: string | null;
  correlationId: string;
  normalized: NormalizedEvent | null;
  timeline: TimelineEntry[];
  failure: FailureView | null;
}

export async function getEventDetail(tenantId: string, eventId: string): Promise<EventDetail> {
  const found = await loadEventRecord(tenantId, eventId);
  if (!found) throw new ResourceNotFoundError('event', eventId);
  const r = found.record;
  const [timeline, failure] = await Promise.all([loadTimeline(tenantId, eventId), failureOfEvent(tenantId, eventId)]);
  return {
    ...summaryOf(eventId, r),
    rootEventId: r.rootEventId,
    sopId: r.sopId,
    agentRunId: r.agentRunId,
    correlationId: r.correlationId,
    normalized: r.normalized ? (JSON.parse(r.normalized) as NormalizedEvent) : null,
    timeline,
    failure: failure ?? null,
  };
}

/** `terminal`: the event is done. `resting`: it will not move by itself (an approval waits for a person, a held event for a resume). */
const STOPS: Record<'terminal' | 'resting', ReadonlySet<EventStatus>> = {
  terminal: new Set(['succeeded', 'failed', 'filtered']),
  resting: new Set(['succeeded', 'failed', 'filtered', 'awaiting_approval', 'held']),
};

/**
 * `GET …/events/{id}?waitFor=terminal|resting&timeout=N`: read the event's status until it stops or
 * the wait is over (a bounded storage poll, clock/poll-until.ts); the caller then reads the detail.
 */
export async function waitForEvent(
  tenantId: string,
  eventId: string,
  waitFor: 'terminal' | 'resting',
  timeoutSeconds: number,
): Promise<void> {
  const stops = STOPS[waitFor];
  const { value } = await pollUntil(
    async () => (await loadEventRecord(tenantId, eventId))?.record.status,
    (status) => status === undefined || stops.has(status),
    timeoutSeconds * 1_000,
  );
  if (value === undefined) throw new ResourceNotFoundError('event', eventId);
}
