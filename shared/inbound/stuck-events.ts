import { nowMs } from '../clock';
import type { ErrorType } from '../events/contract';
import { tenantsOfDay } from '../events/event-days';
import type { EventRecord } from '../events/event-store';
import { EVENT_ROWS_ONLY, loadEventRecord, tables, updateEvent } from '../events/event-store';
import { enqueueValidation } from '../events/stage-messages';
import { recordEventFailure } from '../failures/analysis';
import { suggestFix, vendorName } from '../failures/suggest';
import { errorFields, logger } from '../observability/logger';
import { odata } from '../sdk/data-tables';
import { newestFirstId, tenantPartition, timeBucket, timeBucketsBetween } from '../storage/keys';
import type { ReceiveDeps } from './receive';

/**
 * The stuck-event sweep (docs/pipeline.md, "Housekeeping"). An event can be left non-terminal with
 * no message in flight: its sender gave up after a receive crashed before the queue send, or a
 * stage's message was lost (a handler crashed past maxDeliveryCount and its dead letter was never
 * analysed). Nothing would ever move it again, so a timer looks for events whose last change is
 * older than STUCK_EVENT_MINUTES:
 *
 * - `received` (never validated): the validation message is sent again — the stage is idempotent
 *   per step, so if the first one was only slow, the copy re-applies the recorded outcome;
 * - `processing`: marked `failed` with a Failure Analysis — `outcome_unknown` when it stopped at the
 *   tool-call stage (a vendor write may or may not have happened: the admin must check before a
 *   replay), `crashed` otherwise.
 *
 * `awaiting_approval` is not stuck: the approval's own expiry ends it. The threshold must exceed the
 * longest planned wait of a live event (a Retry-After of up to RETRY_AFTER_MAX_SECONDS), which is
 * why it defaults to two hours.
 *
 * Found through keys only: `eventdays` names the tenant-days in the look-back window; `received`
 * and `processing` events (in-flight statuses have no index rows, docs/decisions.md §84) come from
 * each day's `events` partition bounded by the row-key range of ids older than the threshold,
 * filtered on status inside that one partition.
 */
export const STUCK_SWEEP_LIMIT_PER_RUN = 200;
/** NCRONTAB, seconds first: every 15 minutes, off the quarter-hours other timers use. */
export const STUCK_SWEEP_SCHEDULE = '0 7,22,37,52 * * * *';
/** How far back the sweep looks; older stuck events would have been found by earlier runs. */
export const STUCK_LOOKBACK_DAYS = 7;
const DAY_MS = 86_400_000;

export interface StuckSweepResult {
  reenqueued: number;
  failed: number;
  more: boolean;
}

type Candidate = { tenantId: string; eventId: string };

/** Ids minted at or before `atMs` sort at or after this key (ids are newest first). */
function olderThanKey(atMs: number): string {
  return newestFirstId(atMs).slice(0, 10);
}

async function* candidatesOfDay(tenantId: string, day: string, beforeMs: number): AsyncGenerator<Candidate> {
  const t = tables();
  const from = olderThanKey(beforeMs);
  for await (const row of t.events.iterate(tenantPartition(tenantId, day), {
    ...EVENT_ROWS_ONLY,
    rowKeyFrom: from,
    filter: odata`status eq ${'received'} or status eq ${'processing'}`,
  })) {
    yield { tenantId, eventId: row.rowKey };
  }
}

function stuckMessage(record: EventRecord, minutes: number): string {
  return `The event stayed in "${record.status}" at the ${record.stage} stage for more than ${minutes} minutes with no message in flight (a handler crashed past its delivery limit, or a message was lost).`;
}

async function failStuck(tenantId: string, eventId: string, record: EventRecord, minutes: number): Promise<void> {
  const errorType: ErrorType = record.stage === 'tool_call' ? 'outcome_unknown' : 'crashed';
  const message = stuckMessage(record, minutes);
  const metadata: Record<string, string | number> = {
    vendor: record.source,
    correlationId: record.correlationId,
    detectedBy: 'stuck-event-sweep',
    ...(record.sopId ? { sopId: record.sopId } : {}),
    ...(record.agentRunId ? { agentRunId: record.agentRunId } : {}),
  };
  const suggestedFix =
    errorType === 'outcome_unknown'
      ? suggestFix({ errorType, stage: record.stage, source: record.source, message, metadata, keywords: [] })
      : `The ${record.stage.replace('_', ' ')} stage of this ${vendorName(record.source)} event never finished and nothing was left to retry it. Search the logs for correlation id ${record.correlationId} to see why the handler stopped, fix the cause, then replay the event.`;
  // The record first: a crash in between leaves a failure on a still-processing event, which the
  // next run completes (the record is kept, the status follows).
  await recordEventFailure({
    tenantId,
    eventId,
    webhookId: record.webhookId,
    source: record.source,
    stage: record.stage,
    errorType,
    message,
    suggestedFix,
    metadata,
  });
  await updateEvent(tenantId, eventId, { status: 'failed', stage: record.stage, errorType });
}

export async function sweepStuckEvents(
  deps: Pick<ReceiveDeps, 'bus'>,
  options: { stuckMinutes: number; limit?: number },
): Promise<StuckSweepResult> {
  const limit = options.limit ?? STUCK_SWEEP_LIMIT_PER_RUN;
  const now = nowMs();
  const beforeMs = now - options.stuckMinutes * 60_000;
  const result: StuckSweepResult = { reenqueued: 0, failed: 0, more: false };
  const days = timeBucketsBetween(now - STUCK_LOOKBACK_DAYS * DAY_MS, beforeMs, 'day').filter(
    (d) => d <= timeBucket(beforeMs, 'day'),
  );
  for (const day of days) {
    for await (const tenantId of tenantsOfDay(day)) {
      for await (const candidate of candidatesOfDay(tenantId, day, beforeMs)) {
        if (result.reenqueued + result.failed >= limit) {
          result.more = true;
          return result;
        }
        try {
          // Re-check on the row itself: the index may be stale, and the event may have moved on.
          const found = await loadEventRecord(candidate.tenantId, candidate.eventId);
          if (!found || Date.parse(found.record.updatedAt) > beforeMs) continue;
          const { record } = found;
          if (record.status === 'received') {
            await enqueueValidation(deps, tenantId, candidate.eventId, record.source, record.correlationId);
            // Touch it, so the next run waits a whole threshold before sending again.
            await updateEvent(tenantId, candidate.eventId, {});
            result.reenqueued++;
            logger.warn('stuck event re-sent to validation', { tenantId, eventId: candidate.eventId });
          } else if (record.status === 'processing') {
            await failStuck(tenantId, candidate.eventId, record, options.stuckMinutes);
            result.failed++;
            logger.warn('stuck event failed', { tenantId, eventId: candidate.eventId, stage: record.stage });
          }
        } catch (error) {
          logger.warn('stuck-event sweep could not handle an event', { ...candidate, ...errorFields(error) });
        }
      }
    }
  }
  return result;
}
