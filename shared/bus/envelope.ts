import { z } from 'zod';
import type { DeadLetteredMessage, ReceivedMessage, SendOptions } from './port';

/**
 * The JSON text a storage-queue message carries. Storage queues only hold a string, so everything
 * Service Bus keeps as broker properties (message id, enqueued time, correlation id, application
 * properties, dead-letter reason) travels inside it. `v` lets a later shape be told apart.
 */
const propertyValue = z.union([z.string(), z.number(), z.boolean()]);

const deadLetterSchema = z.object({
  reason: z.string(),
  description: z.string(),
  /** The queue the message was dead-lettered from (Service Bus calls this DeadLetterSource). */
  source: z.string(),
  deadLetteredTimeUtc: z.iso.datetime(),
  /** Delivery count at the moment it was dead-lettered (a DLQ receive has its own count). */
  deliveryCount: z.number().int().nonnegative(),
});

export const envelopeSchema = z.object({
  v: z.literal(1),
  messageId: z.string().min(1),
  body: z.unknown(),
  enqueuedTimeUtc: z.iso.datetime(),
  correlationId: z.string().optional(),
  applicationProperties: z.record(z.string(), propertyValue).default({}),
  scheduledEnqueueTimeUtc: z.iso.datetime().optional(),
  /**
   * When a scheduled message may be delivered, on the injected clock (already compressed by
   * LOCAL_TIME_SCALE). A receive before it hides the message again (see StorageQueueBus.receive).
   */
  dueAtMs: z.number().optional(),
  /** Receives that only re-hid the message (not deliveries): subtracted from the dequeue count. */
  hiddenReceives: z.number().int().nonnegative().optional(),
  /** Delay still owed, written by earlier versions for schedules beyond 7 days; read as dueAtMs. */
  remainingDelayMs: z.number().nonnegative().optional(),
  /** Written by earlier versions (the last delivery's error); read and ignored, never written. */
  lastError: z.string().optional(),
  deadLetter: deadLetterSchema.optional(),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/**
 * A storage queue message holds at most 64 KiB. docs/design.md §4 keeps payloads over 32 KiB in blobs, so a
 * larger envelope is a bug in the caller; failing locally is the early warning (Service Bus would
 * take up to 256 KiB on Standard).
 */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
/** What a send may use: the rest is headroom for the error and dead-letter fields added later. */
export const MAX_SEND_BYTES = 60 * 1024;

/** Storage queues hide a message for at most 7 days. */
export const MAX_VISIBILITY_SECONDS = 7 * 24 * 60 * 60;

export class MessageTooLargeError extends Error {
  readonly code = 'message_too_large';
  override readonly name = 'MessageTooLargeError';
}

export class InvalidQueueNameError extends Error {
  readonly code = 'invalid_queue_name';
  override readonly name = 'InvalidQueueNameError';
}

const QUEUE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

/**
 * Our queue names must be valid storage queue names too (3–63 lowercase letters, digits and single
 * hyphens), so one name works on Service Bus and on the emulation.
 */
export function assertQueueName(name: string): void {
  if (name.length < 3 || name.length > 63 || !QUEUE_NAME.test(name)) {
    throw new InvalidQueueNameError(
      `Queue name "${name}" is not usable on both Service Bus and storage queues: use 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.`,
    );
  }
}

export function newEnvelope(body: unknown, options: SendOptions, nowMs: number): Envelope {
  const scheduledMs = options.scheduledEnqueueTimeUtc?.getTime();
  return {
    v: 1,
    messageId: options.messageId,
    body,
    // Service Bus stamps a scheduled message with the time it became active, not the send time.
    enqueuedTimeUtc: new Date(Math.max(nowMs, scheduledMs ?? nowMs)).toISOString(),
    ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
    applicationProperties: { ...(options.applicationProperties ?? {}) },
    ...(scheduledMs !== undefined ? { scheduledEnqueueTimeUtc: new Date(scheduledMs).toISOString() } : {}),
  };
}

export function serializeEnvelope(envelope: Envelope, limitBytes = MAX_ENVELOPE_BYTES): string {
  const text = JSON.stringify(envelope);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limitBytes) {
    throw new MessageTooLargeError(
      `Message ${envelope.messageId} is ${bytes} bytes; queue messages carry at most ${limitBytes} bytes. Store the payload in a blob and send its reference.`,
    );
  }
  return text;
}

export type ParsedEnvelope = { ok: true; envelope: Envelope } | { ok: false; error: string };

export function parseEnvelope(text: string): ParsedEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, envelope: parsed.data };
}

/**
 * How long a message stays hidden, in whole seconds (rounded up so it never arrives early), for a
 * delay in ms: at most `maxSeconds` (the 7-day storage limit unless less is asked); a longer delay
 * is served in several hides, each receive re-checking `dueAtMs` against the clock.
 */
export function hideSeconds(delayMs: number, maxSeconds = MAX_VISIBILITY_SECONDS): number {
  if (delayMs <= 0) return 0;
  return Math.min(Math.ceil(delayMs / 1000), Math.max(1, Math.min(maxSeconds, MAX_VISIBILITY_SECONDS)));
}

export function scheduledDelayMs(scheduledMs: number | undefined, nowMs: number, timeScale: number): number {
  if (scheduledMs === undefined) return 0;
  return Math.max(0, (scheduledMs - nowMs) / timeScale);
}

export function toReceivedMessage(envelope: Envelope, deliveryCount: number): ReceivedMessage {
  return {
    body: envelope.body,
    messageId: envelope.messageId,
    deliveryCount,
    enqueuedTimeUtc: new Date(envelope.enqueuedTimeUtc),
    ...(envelope.correlationId !== undefined ? { correlationId: envelope.correlationId } : {}),
    applicationProperties: { ...envelope.applicationProperties },
  };
}

/** The envelope a received message came in (the inverse of toReceivedMessage), for a copy without a lock. */
export function envelopeOf(message: ReceivedMessage): Envelope {
  return {
    v: 1,
    messageId: message.messageId,
    body: message.body,
    enqueuedTimeUtc: message.enqueuedTimeUtc.toISOString(),
    ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
    applicationProperties: { ...message.applicationProperties },
  };
}

/** The dead-lettered copy: Service Bus keeps reason and description as application properties. */
export function deadLetterEnvelope(
  envelope: Envelope,
  dl: { reason: string; description: string; source: string; deliveryCount: number },
  nowMs: number,
): Envelope {
  const { remainingDelayMs: _hop, dueAtMs: _due, hiddenReceives: _hidden, ...rest } = envelope;
  return {
    ...rest,
    applicationProperties: {
      ...envelope.applicationProperties,
      DeadLetterReason: dl.reason,
      DeadLetterErrorDescription: dl.description,
    },
    deadLetter: { ...dl, deadLetteredTimeUtc: new Date(nowMs).toISOString() },
  };
}

export function toDeadLetteredMessage(envelope: Envelope, dequeueCount: number): DeadLetteredMessage {
  const dl = envelope.deadLetter;
  return {
    ...toReceivedMessage(envelope, dl?.deliveryCount ?? dequeueCount),
    deadLetterReason: dl?.reason ?? String(envelope.applicationProperties['DeadLetterReason'] ?? ''),
    deadLetterErrorDescription:
      dl?.description ?? String(envelope.applicationProperties['DeadLetterErrorDescription'] ?? ''),
  };
}

/** Error text for descriptions and logs: the message only, bounded (Service Bus caps at 4 KiB). */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 1024 ? `${text.slice(0, 1021)}...` : text;
}
