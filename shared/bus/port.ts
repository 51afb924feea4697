/**
 * The queue port every capability uses (DESIGN §2, §9.1–9.2). Two adapters implement it: Azure
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
 * messages; planned retries are re-sends, see §9.1).
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
