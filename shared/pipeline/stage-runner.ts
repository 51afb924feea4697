import { countFilteredNow, countTransactionNow, processCounterTallies } from '../analytics/deps';
import { describeError } from '../bus/envelope';
import { type BusSender, complete, deadLetter, type MessageHandler, type ReceivedMessage } from '../bus/port';
import { processBus } from '../bus/process-bus';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryOrDeadLetter } from '../bus/retry';
import { nowMs } from '../clock';
import {
  type ErrorType,
  FAILURE_PROPERTIES,
  type NormalizedEvent,
  STAGE_QUEUES,
  type Stage,
  type StageMessage,
  stageMessageSchema,
} from '../events/contract';
import {
  type EventPatch,
  type EventView,
  loadEventRecord,
  loadNormalizedEvent,
  normalizedOf,
  payloadTextOf,
  type StoredEvent,
  toView,
  updateEvent,
} from '../events/event-store';
import { sendToStage } from '../events/stage-messages';
import {
  loadStageRecord,
  recordStage,
  recordStageWithMove,
  type StageRecord,
  timelineInPartition,
} from '../events/timeline';
import { CRASHED, crashTimelineStep } from '../failures/crash-record';
import { crashPoint } from '../faults/crash-points';
import { createLogger, errorFields, type Logger } from '../observability/logger';

/**
 * The wrapper every pipeline stage runs in (docs/design.md §6, §6.4, §6.5). A stage's work returns what
 * happened; the runner does the rest the same way for all five stages: it records the outcome on
 * the event's timeline *before* acting on it, so a redelivered message re-applies the recorded
 * effect (re-sends the same next messages, which duplicate detection drops) instead of doing the
 * work again; it moves the event's status and stage, counts the outcome, schedules planned retries
 * and dead-letters permanent failures with reason = error type.
 *
 * Storage per delivery is kept to what at-least-once needs (docs/pipeline.md, "Storage operations
 * per event"): the event row is read once and handed to the work (its normalised event and payload
 * included); the outcome's timeline row and the event's move (with the stage's own changes to the
 * event) are one entity-group transaction; the stage counters are summed in memory.
 */
export interface StageContext {
  message: StageMessage;
  received: ReceivedMessage;
  event: EventView;
  log: Logger;
  correlationId: string;
  /**
   * The normalised event from the row the runner read for this delivery (no second read).
   * Absent where a caller builds a context by hand; `normalizedEventOf` then reads the row.
   */
  normalized?: () => NormalizedEvent;
  /** The payload as received, from the same row (or its blob). */
  payloadText?: () => Promise<string>;
}

export type NextMessage = Pick<StageMessage, 'stage' | 'step'> &
  Partial<Pick<StageMessage, 'agentRunId' | 'stepIndex'>>;

export type StageResult =
  | {
      kind: 'next';
      messages: NextMessage[];
      detail?: string;
      properties?: Record<string, string | number>;
      /** Fields of the event this stage sets (type, normalised event, SOP, run), written with its move. */
      patch?: Omit<EventPatch, 'status' | 'stage' | 'errorType'>;
    }
  | {
      kind: 'done';
      status: 'succeeded' | 'awaiting_approval' | 'processing' | 'filtered';
      detail?: string;
      /** Fields of the event this stage sets (a filtered event's normalised form and rule). */
      patch?: Omit<EventPatch, 'status' | 'stage' | 'errorType'>;
    }
  | {
      kind: 'fail';
      errorType: ErrorType;
      message: string;
      transient: boolean;
      retryAfterMs?: number;
      properties?: Record<string, string | number>;
    };

export interface StageHandlerOptions {
  /** Default: the process bus. */
  bus?: () => BusSender;
  /** Default: DEFAULT_BACKOFF (3 retries). */
  policy?: BackoffPolicy;
}

/** Crash points between the runner's writes (docs/pipeline.md, "Crash points"). */
export const STAGE_CRASH_POINTS = {
  afterRecord: (stage: Stage) => `pipeline.${stage}.after-record`,
  afterSend: (stage: Stage) => `pipeline.${stage}.after-send`,
} as const;

/** Properties that belong to one dead-letter copy, never carried onto the next message. */
const TRANSIENT_PROPERTIES = ['DeadLetterReason', 'DeadLetterErrorDescription', 'DeadLetterSource'];

function carriedProperties(
  received: ReceivedMessage,
  event: EventView,
  extra: Record<string, string | number> | undefined,
): Record<string, string | number | boolean> {
  const props: Record<string, string | number | boolean> = { ...received.applicationProperties };
  for (const name of TRANSIENT_PROPERTIES) {
    delete props[name];
    delete props[name.charAt(0).toLowerCase() + name.slice(1)];
  }
  props[FAILURE_PROPERTIES.tenantId] = event.tenantId;
  props[FAILURE_PROPERTIES.eventId] = event.id;
  props[FAILURE_PROPERTIES.vendor] ??= event.source;
  if (event.sopId) props[FAILURE_PROPERTIES.sopId] ??= event.sopId;
  if (event.agentRunId) props[FAILURE_PROPERTIES.agentRunId] ??= event.agentRunId;
  return { ...props, ...(extra ?? {}) };
}

function parseJsonRecord(text: string | undefined): Record<string, string | number> {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null ? (value as Record<string, string | number>) : {};
}

const TERMINAL = new Set(['succeeded', 'failed', 'filtered']);

/** The normalised event of the context's delivery: from the row the runner read, else read now. */
export function normalizedEventOf(ctx: StageContext): Promise<NormalizedEvent> {
  return ctx.normalized
    ? Promise.resolve().then(ctx.normalized)
    : loadNormalizedEvent(ctx.event.tenantId, ctx.event.id);
}

export function stageHandler(
  stage: Stage,
  work: (ctx: StageContext) => Promise<StageResult>,
  options: StageHandlerOptions = {},
): MessageHandler {
  const busOf = options.bus ?? processBus;
  const policy = options.policy ?? DEFAULT_BACKOFF;
  const queue = STAGE_QUEUES[stage];

  /**
   * The effect of a recorded outcome; run once after recording and again on every redelivery.
   * `row` is the event row as read in this delivery (saves the update's read); `moved`: the
   * outcome's status and stage were written in the transaction that recorded it, so only its
   * sends, counts and settlement remain.
   */
  async function apply(
    record: StageRecord,
    message: StageMessage,
    received: ReceivedMessage,
    event: EventView,
    correlationId: string,
    row: StoredEvent,
    moved = false,
  ) {
    const { retryAfterMs, ...extra } = parseJsonRecord(record.properties);
    const props = carriedProperties(received, event, extra);
    const wasTerminal = TERMINAL.has(event.status);
    switch (record.outcome) {
      case 'succeeded': {
        const next = JSON.parse(record.next ?? '[]') as NextMessage[];
        if (!wasTerminal && !moved) {
          await updateEvent(event.tenantId, event.id, { status: 'processing', stage: next[0]?.stage ?? stage }, row);
        }
        const sendProps: Record<string, string | number> = {};
        for (const [k, v] of Object.entries(props)) sendProps[k] = typeof v === 'boolean' ? String(v) : v;
        for (const target of next) {
          await sendToStage(busOf(), event.tenantId, event.id, target, sendProps, { correlationId });
        }
        crashPoint(STAGE_CRASH_POINTS.afterSend(stage));
        return complete;
      }
      case 'done': {
        const status = (record.status ?? 'processing') as 'succeeded' | 'awaiting_approval' | 'processing' | 'filtered';
        if (!wasTerminal && !moved) await updateEvent(event.tenantId, event.id, { status, stage }, row);
        // Counted before publishing: a publication that throws (deliveries left unfiled) abandons the
        // message, and its redelivery finds the event terminal and counts nothing again.
        if (status === 'succeeded' && !wasTerminal) await countEventSucceeded(event);
        if (status === 'filtered' && !wasTerminal) await countEventFiltered(event);
        // Subscribers hear of a succeeded event (keyed by its id, so a redelivery publishes nothing twice).
        // Imported here, not at the top: validation's first message need not load outbound.
        if (status === 'succeeded') {
          const repeat = wasTerminal || received.deliveryCount > 1;
          await (await import('../outbound')).publishPipelineOutcome(event.tenantId, event.id, repeat, row?.record);
        }
        return complete;
      }
      case 'retrying': {
        if (!wasTerminal && !moved) await updateEvent(event.tenantId, event.id, { status: 'processing', stage }, row);
        const decision = await retryOrDeadLetter(
          busOf(),
          queue,
          { eventId: event.id, stage, step: message.step, attempt: message.attempt },
          (attempt) => ({ ...message, attempt }),
          {
            reason: record.errorType ?? 'internal_error',
            description: record.message ?? '',
            retryAfterMs: retryAfterMs === undefined ? undefined : Number(retryAfterMs),
            message: { applicationProperties: { ...props, [FAILURE_PROPERTIES.stage]: stage }, correlationId },
          },
          policy,
        );
        crashPoint(STAGE_CRASH_POINTS.afterSend(stage));
        return decision.settlement;
      }
      case 'failed': {
        if (!moved) {
          await updateEvent(
            event.tenantId,
            event.id,
            { status: 'failed', stage, errorType: record.errorType ?? 'internal_error' },
            row,
          );
        }
        return deadLetter(record.errorType ?? 'internal_error', record.message ?? '');
      }
    }
  }

  // Tracked, so the delivery that leaves the process idle writes the deferred stage counters.
  return (received) => processCounterTallies().track(() => handle(received));

  async function handle(received: ReceivedMessage) {
    const parsed = stageMessageSchema.safeParse(received.body);
    if (!parsed.success || parsed.data.stage !== stage) {
      const why = parsed.success ? `a ${parsed.data.stage} message on the ${queue} queue` : parsed.error.message;
      return deadLetter('internal_error', `Unreadable stage message ${received.messageId}: ${why}`);
    }
    const message = parsed.data;
    const row = await loadEventRecord(message.tenantId, message.eventId);
    if (!row) {
      return deadLetter('internal_error', `Event ${message.eventId} does not exist (purged or never stored).`);
    }
    const event = toView(message.tenantId, message.eventId, row.record);
    const correlationId = received.correlationId ?? event.correlationId;
    const log = createLogger({
      correlationId,
      eventId: event.id,
      tenantId: event.tenantId,
      stage,
      step: message.step,
      attempt: message.attempt,
    });

    const deliveryStarted = nowMs();
    try {
      return await deliver(message, received, event, row, log, correlationId);
    } catch (error) {
      // Azure keeps no application error on a message that throws until maxDeliveryCount, so the
      // error goes on the event's timeline for the Failure Analysis before the message is abandoned.
      await recordCrash(event, message, received, error, deliveryStarted, log);
      throw error;
    }
  }

  async function recordCrash(
    event: EventView,
    message: StageMessage,
    received: ReceivedMessage,
    error: unknown,
    started: number,
    log: Logger,
  ): Promise<void> {
    const finished = nowMs();
    try {
      await recordStage(event.tenantId, event.id, {
        stage,
        step: crashTimelineStep(message.step, received.deliveryCount),
        attempt: message.attempt,
        outcome: 'retrying',
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        durationMs: Math.max(0, finished - started),
        errorType: CRASHED,
        message: describeError(error),
        detail: `Delivery ${received.deliveryCount} threw; the bus delivers the message again until maxDeliveryCount.`,
      });
    } catch (recordError) {
      log.error('the crash could not be recorded on the timeline', errorFields(recordError));
    }
  }

  async function deliver(
    message: StageMessage,
    received: ReceivedMessage,
    event: EventView,
    row: StoredEvent,
    log: Logger,
    correlationId: string,
  ) {
    // The timeline is read first only where this attempt may have run already: a redelivery (the
    // handler crashed or its lock ran out), or an event that is finished or no longer at this
    // stage (the previous stage moves it here before sending). Otherwise a first delivery finds
    // nothing; should a copy that escaped duplicate detection have run, its outcome wins at the
    // conditional insert below and is re-applied, the work having run again as idempotently as
    // after any crash before recording.
    const mayHaveRun = received.deliveryCount > 1 || TERMINAL.has(event.status) || event.stage !== stage;
    if (mayHaveRun) {
      const recorded = await loadStageRecord(
        event.tenantId,
        event.id,
        stage,
        message.step,
        message.attempt,
        !timelineInPartition(row.record),
      );
      if (recorded) {
        log.info('stage already recorded; re-applying its outcome', { outcome: recorded.outcome });
        // An outcome in the event's partition was recorded by the transaction that moved the event;
        // only an older event's, perhaps in `eventstages`, was recorded apart from its move.
        return apply(recorded, message, received, event, correlationId, row, timelineInPartition(row.record));
      }
    }

    if (TERMINAL.has(event.status)) {
      // Finished meanwhile (another message failed it, or the stuck-event sweep did): no new work
      // for it — above all no vendor write for an event already reported as failed.
      log.warn('stage message for a finished event; completed without work', { status: event.status });
      return complete;
    }

    const started = nowMs();
    let result: StageResult;
    let normalized: NormalizedEvent | undefined;
    const context: StageContext = {
      message,
      received,
      event,
      log,
      correlationId,
      normalized: () => {
        normalized ??= normalizedOf(event.id, row.record);
        return normalized;
      },
      payloadText: () => payloadTextOf(row.record),
    };
    try {
      result = await work(context);
    } catch (error) {
      // An unexpected error is a crash, not a planned failure: abandon, so maxDeliveryCount and
      // the Failure Analysis (`crashed`) catch a handler that keeps failing.
      log.error('stage work threw', errorFields(error));
      throw error;
    }
    const finished = nowMs();
    const record = toRecord(stage, message, result, started, finished, policy);
    // The outcome and the event's move (status, stage, the fields the stage set) are one
    // entity-group transaction: a crash leaves both or neither, so a redelivery either re-applies
    // the recorded outcome or runs the work again, as after any crash before recording.
    const move = eventPatchOf(stage, result, record);
    const stored = await recordStageWithMove(event.tenantId, event.id, record, move, row);
    crashPoint(STAGE_CRASH_POINTS.afterRecord(stage));
    // Ours or, should another copy have recorded first, that copy's: either way its transaction moved the event.
    const settlement = await apply(stored, message, received, event, correlationId, row, true);
    // Summed in memory and written in batches (shared/analytics/counter-tallies.ts): diagnostics,
    // not the dashboard's transaction counts, which countEventSucceeded writes at once.
    processCounterTallies().add({
      tenantId: event.tenantId,
      integrationType: 'inbound_webhook',
      integrationId: event.webhookId ?? '-',
      outcome: `${stage}.${stored.outcome}`,
      code: stored.errorType ?? '-',
    });
    log.info('stage finished', { outcome: stored.outcome, durationMs: stored.durationMs, errorType: stored.errorType });
    return settlement;
  }
}

/** What an outcome does to the event, written in the transaction that records it. */
function eventPatchOf(stage: Stage, result: StageResult, record: StageRecord): EventPatch {
  switch (result.kind) {
    case 'next':
      return { ...(result.patch ?? {}), status: 'processing', stage: result.messages[0]?.stage ?? stage };
    case 'done':
      return { ...(result.patch ?? {}), status: result.status, stage };
    case 'fail':
      return record.outcome === 'retrying'
        ? { status: 'processing', stage }
        : { status: 'failed', stage, errorType: record.errorType ?? 'internal_error' };
  }
}

function toRecord(
  stage: Stage,
  message: StageMessage,
  result: StageResult,
  started: number,
  finished: number,
  policy: BackoffPolicy,
): StageRecord {
  const base = {
    stage,
    step: message.step,
    attempt: message.attempt,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: Math.max(0, finished - started),
  };
  switch (result.kind) {
    case 'next':
      return {
        ...base,
        outcome: 'succeeded',
        next: JSON.stringify(result.messages),
        ...(result.detail !== undefined ? { detail: result.detail } : {}),
        ...(result.properties ? { properties: JSON.stringify(result.properties) } : {}),
      };
    case 'done':
      return {
        ...base,
        outcome: 'done',
        status: result.status,
        ...(result.detail !== undefined ? { detail: result.detail } : {}),
      };
    case 'fail': {
      const retry = result.transient && message.attempt < policy.maxRetries;
      const runs = message.attempt + 1;
      const properties = {
        ...(result.properties ?? {}),
        ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
      };
      return {
        ...base,
        outcome: retry ? 'retrying' : 'failed',
        errorType: result.errorType,
        message:
          result.transient && !retry
            ? `${result.message} (gave up after ${runs} attempt${runs === 1 ? '' : 's'})`
            : result.message,
        ...(Object.keys(properties).length > 0 ? { properties: JSON.stringify(properties) } : {}),
      };
    }
  }
}

/** The inbound_webhook transaction of an event that ended succeeded (docs/dashboard.md). */
function countEventSucceeded(event: EventView): Promise<void> {
  return countTransactionNow({
    tenantId: event.tenantId,
    type: 'inbound_webhook',
    integrationId: event.webhookId ?? '-',
    ok: true,
    code: '-',
  });
}

/** An event an ingest filter dropped: its own dashboard outcome, never a failure (docs/pipeline.md). */
function countEventFiltered(event: EventView): Promise<void> {
  return countFilteredNow({ tenantId: event.tenantId, type: 'inbound_webhook', integrationId: event.webhookId ?? '-' });
}
