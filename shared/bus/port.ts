/**
 * The queue port every capability uses (docs/design.md §3.1, §6.4, §6.5). Two adapters implement it: Azure
 * Service Bus (production) and Azurite Storage queues emulating the Service Bus semantics the code
 * relies on (local host, tests). Handlers are written once against these types.
 */

export interface SendOptions {
  /** Duplicate detection key: a second send with the same id inside the window is dropped. */
  messageId: string;
  /** The message becomes visible to receivers no earlier than this. */
  scheduledEnqueueTimeUtc?: Date;
  correlationId?: string;
  applicationProperties?: Record<string, string | number | boolean>;
  /**
   * The receiver absorbs a second copy of this message (it is idempotent per message id, docs/design.md
   * §6.5) and the sender has its own guard against sending twice, so an *emulation* of duplicate
   * detection may skip its bookkeeping. Service Bus ignores the flag and still drops a repeated id
   * in the broker; the storage-queue bus sends straight to the queue (one round trip instead of the
   * ledger's three more). The webhook receive path uses it (docs/bus.md).
   */
  duplicatesTolerated?: boolean;
}

export interface BusSender {
  send(queue: string, body: unknown, options: SendOptions): Promise<void>;
}

/** What a handler sees of one delivery. */
export interface ReceivedMessage {
  body: unknown;
  messageId: string;
  /** 1 on first delivery, rising with each redelivery (abandon, crash, lock expiry). */
  deliveryCount: number;
  enqueuedTimeUtc: Date;
  correlationId?: string;
  applicationProperties: Record<string, string | number | boolean>;
}

/**
 * How a handler settles a message. Throwing is an abandon: the message is delivered again and
 * reaches the dead-letter sub-queue after maxDeliveryCount (that path is for crashes and poison
 * messages; planned retries are re-sends, see docs/design.md §6.4).
 */
export type Settlement = { kind: 'complete' } | { kind: 'deadLetter'; reason: string; description: string };

export const complete: Settlement = { kind: 'complete' };

export function deadLetter(reason: string, description: string): Settlement {
  return { kind: 'deadLetter', reason, description };
}

export type MessageHandler = (message: ReceivedMessage) => Promise<Settlement>;

/** A message as read from a dead-letter sub-queue. */
export interface DeadLetteredMessage extends ReceivedMessage {
  deadLetterReason: string;
  deadLetterErrorDescription: string;
}

/** The reason Service Bus writes when maxDeliveryCount is exceeded. */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

/**
 * Where the local host and the adapters report what they do with messages. The shape matches the
 * local host's log function so it can be passed straight through.
 */
export type BusLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/**
 * Writes a copy of a message to the queue's dead-letter destination with a reason and description.
 * On Azure this is the explicit dead-letter path when the trigger cannot settle messages itself
 * (see docs/bus.md, "Settlement on Azure").
 */
export interface DeadLetterForwarder {
  forwardToDeadLetter(queue: string, message: ReceivedMessage, reason: string, description: string): Promise<void>;
}

/**
 * Where the dead letters of `queue` end up on both hosts: a sibling queue. Storage queues have no
 * sub-queues; on Service Bus the built-in DLQ is auto-forwarded there (docs/bus.md).
 */
export function deadLetterQueueName(queue: string): string {
  return `${queue}-deadletter`;
}

/**
 * Service Bus keeps the dead-letter reason and description as application properties
 * (`DeadLetterReason`, `DeadLetterErrorDescription`); the Functions Node worker lower-cases the
 * first letter of every property name. This reads either spelling, so a dead-letter consumer works
 * on both hosts.
 */
export function deadLetterInfo(message: ReceivedMessage): { reason: string; description: string } | undefined {
  const p = message.applicationProperties;
  const reason = p['DeadLetterReason'] ?? p['deadLetterReason'];
  if (reason === undefined) return undefined;
  const description = p['DeadLetterErrorDescription'] ?? p['deadLetterErrorDescription'] ?? '';
  return { reason: String(reason), description: String(description) };
}

/**
 * How many messages wait in a queue and in its `<queue>-deadletter` companion: approximate (a
 * storage queue counts locked and scheduled messages too), for the backlog gauge only.
 */
export interface QueueBacklog {
  queue: string;
  active: number;
  deadLettered: number;
}

/** Reads queue depths for telemetry (docs/telemetry.md, `hub_queue_backlog`). */
export interface BacklogReader {
  backlog(queues: readonly string[]): Promise<QueueBacklog[]>;
}
