import { ResourceNotFoundError } from '../errors/domain-error';
import type { NormalizedEvent } from '../events/contract';
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
