import {
  complete,
  deadLetterInfo,
  MAX_DELIVERY_COUNT_EXCEEDED,
  type MessageHandler,
  type Settlement,
} from '../bus/port';
import { ERROR_TYPES, type ErrorType, FAILURE_PROPERTIES, type Stage, stageMessageSchema } from '../events/contract';
import { loadEvent, loadNormalizedEvent, updateEvent } from '../events/event-store';
import { loadStageRecord, loadTimeline, type StageRecord, type TimelineEntry } from '../events/timeline';
import { logger } from '../observability/logger';
import { recordEventFailure } from './analysis';
import { lastCrashOf } from './crash-record';
import { suggestFix } from './suggest';

/**
 * The Failure Analysis consumer of one stage's `<queue>-deadletter` companion (docs/design.md §6.8): one
 * record per failed event with stage, error type, message, a suggested fix for this case, and
 * metadata from the dead letter's properties and the failed attempt's timeline row. It also marks
 * the event failed — a handler that crashed until maxDeliveryCount never got to.
 */
const known = new Set<string>(ERROR_TYPES);

export function errorTypeOf(reason: string): ErrorType {
  if (reason === MAX_DELIVERY_COUNT_EXCEEDED) return 'crashed';
  return known.has(reason) ? (reason as ErrorType) : 'internal_error';
}

const METADATA_KEYS = Object.values(FAILURE_PROPERTIES).filter(
  (k) => k !== 'tenantId' && k !== 'eventId' && k !== 'stage',
);

interface Cause {
  errorType: ErrorType;
  description: string;
  metadata: Record<string, string | number>;
}

/**
 * What really went wrong. An explicit dead-letter carries its reason and description. A
 * MaxDeliveryCountExceeded carries only the broker's count text, so the event's timeline says why:
 * - the attempt recorded `failed`: the stage dead-lettered it, but the forward to
 *   `<queue>-deadletter` kept failing (plain Azure binding) — the recorded error is the real one;
 * - otherwise the newest crash row of the attempt names the error its last delivery threw;
 * - with neither (a process killed mid-delivery, a lock that ran out) it stays `crashed` with the
 *   broker's text.
 */
async function causeOf(
  info: { reason: string; description: string },
  record: StageRecord | undefined,
  timeline: () => Promise<TimelineEntry[]>,
  stage: Stage,
  body: { step: string; attempt: number },
): Promise<Cause> {
  if (info.reason !== MAX_DELIVERY_COUNT_EXCEEDED) {
    return {
      errorType: errorTypeOf(info.reason),
      description: info.description || record?.message || info.reason,
      metadata: {},
    };
  }
  const broker = { deadLetterReason: info.reason, deadLetterDescription: info.description };
  if (record?.outcome === 'failed') {
    return {
      errorType: errorTypeOf(record.errorType ?? 'internal_error'),
      description: record.message || info.description || info.reason,
      metadata: broker,
    };
  }
  const crash = lastCrashOf(await timeline(), stage, body.step, body.attempt);
  if (crash?.message) {
    return {
      errorType: 'crashed',
      description: crash.message,
      metadata: { ...broker, lastCrashedDelivery: crash.deliveryCount },
    };
  }
  return { errorType: 'crashed', description: info.description || info.reason, metadata: broker };
}

export function failureAnalysisHandler(stage: Stage): MessageHandler {
  return async (message): Promise<Settlement> => {
    const parsed = stageMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      // Nothing names an event: there is nothing to attach an analysis to.
      logger.warn('dead letter without a stage message', { stage, messageId: message.messageId });
      return complete;
    }
    const body = parsed.data;
    const info = deadLetterInfo(message) ?? { reason: 'internal_error', description: 'dead-lettered without a reason' };
    const event = await loadEvent(body.tenantId, body.eventId);
    const record = await loadStageRecord(body.tenantId, body.eventId, stage, body.step, body.attempt);
    const cause = await causeOf(info, record, () => loadTimeline(body.tenantId, body.eventId), stage, body);
    const metadata: Record<string, string | number> = {};
    for (const key of METADATA_KEYS) {
      const value = message.applicationProperties[key];
      if (typeof value === 'string' || typeof value === 'number') metadata[key] = value;
    }
    if (record?.properties) {
      for (const [key, value] of Object.entries(JSON.parse(record.properties) as Record<string, unknown>)) {
        if ((typeof value === 'string' || typeof value === 'number') && key !== 'retryAfterMs') metadata[key] = value;
      }
    }
    if (body.agentRunId) metadata['agentRunId'] ??= body.agentRunId;
    if (event?.sopId) metadata['sopId'] ??= event.sopId;
    metadata['correlationId'] = message.correlationId ?? event?.correlationId ?? body.eventId;
    metadata['attempts'] = body.attempt + 1;
    if (event?.source) metadata['vendor'] ??= event.source;
    const keywords = await loadNormalizedEvent(body.tenantId, body.eventId).then(
      (n) => n.keywords,
      () => [],
    );
    for (const [key, value] of Object.entries(cause.metadata)) metadata[key] = value;
    const { errorType, description } = cause;
    await recordEventFailure({
      tenantId: body.tenantId,
      eventId: body.eventId,
      webhookId: event?.webhookId ?? null,
      source: event?.source ?? null,
      stage,
      errorType,
      message: description,
      suggestedFix: suggestFix({
        errorType,
        stage,
        source: event?.source ?? null,
        message: description,
        metadata,
        keywords,
      }),
      metadata,
    });
    if (event && event.status !== 'failed') {
      await updateEvent(body.tenantId, body.eventId, { status: 'failed', stage, errorType });
    }
    return complete;
  };
}
