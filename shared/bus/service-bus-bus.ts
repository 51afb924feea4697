import type { TokenCredential } from '@azure/identity';
import type { ServiceBusMessage, ServiceBusReceivedMessage, ServiceBusSender } from '@azure/service-bus';
import { ServiceBusClient } from '../sdk/service-bus';
import { assertQueueName } from './envelope';
import {
  type BacklogReader,
  type BusSender,
  type DeadLetteredMessage,
  type DeadLetterForwarder,
  deadLetterQueueName,
  type QueueBacklog,
  type ReceivedMessage,
  type SendOptions,
} from './port';
import { sendTraced } from './trace-context';

/**
 * The Azure adapter (BUS_MODE=servicebus): @azure/service-bus over AMQP with managed identity.
 * Broker-side semantics are queue properties set by infra, not code:
 * - requiresDuplicateDetection + duplicateDetectionHistoryTimeWindow (PT10M): the messageId we set
 *   here is the dedup key (`{eventId}:{stage}:{step}:{attempt}`, docs/design.md §6.5);
 * - maxDeliveryCount = QUEUE_MAX_DELIVERY_COUNT, lockDuration, deadLetteringOnMessageExpiration;
 * - forwardDeadLetteredMessagesTo = `<queue>-deadletter`, so every dead letter of a queue (broker
 *   ones and our explicit ones, see forwardToDeadLetter) ends up in one place. See docs/bus.md.
 */
export class ServiceBusBus implements BusSender, DeadLetterForwarder, BacklogReader {
  private readonly client: ServiceBusClient;
  private readonly senders = new Map<string, ServiceBusSender>();

  constructor(target: { fullyQualifiedNamespace: string; credential: TokenCredential } | { client: ServiceBusClient }) {
    this.client =
      'client' in target ? target.client : new ServiceBusClient(target.fullyQualifiedNamespace, target.credential);
  }

  async send(queue: string, body: unknown, options: SendOptions): Promise<void> {
    await sendTraced(queue, options, (traced) => this.sender(queue).sendMessages(toServiceBusMessage(body, traced)));
  }

  /**
   * The explicit dead-letter when the trigger cannot settle the message itself: a copy with the
   * reason and description under the property names the broker uses, so a dead-letter consumer
   * reads both kinds alike. The copy keeps the message id: a redelivered original that is
   * dead-lettered again is dropped by the dead-letter queue's own duplicate detection.
   */
  async forwardToDeadLetter(
    queue: string,
    message: ReceivedMessage,
    reason: string,
    description: string,
  ): Promise<void> {
    await this.sender(deadLetterQueueName(queue)).sendMessages({
      body: message.body,
      contentType: 'application/json',
      messageId: message.messageId,
      ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
      applicationProperties: {
        ...message.applicationProperties,
        DeadLetterReason: reason,
        DeadLetterErrorDescription: description,
        DeadLetterSource: queue,
      },
    });
  }

  /** Dead letters of `queue` without locking them: the forwarding target and the built-in sub-queue. */
  async peekDeadLetters(queue: string, max = 32): Promise<DeadLetteredMessage[]> {
    const forwarded = this.client.createReceiver(deadLetterQueueName(queue));
    const builtIn = this.client.createReceiver(queue, { subQueueType: 'deadLetter' });
    try {
      const messages = [...(await forwarded.peekMessages(max)), ...(await builtIn.peekMessages(max))];
      return messages.slice(0, max).map(toDeadLetteredMessage);
    } finally {
      await Promise.allSettled([forwarded.close(), builtIn.close()]);
    }
  }

  /**
   * Nothing: queue depths on Service Bus are runtime properties of the management API, which needs
   * the Manage right (Data Owner), and the app holds only Data Sender and Data Receiver
   * (infra/app/rbac.bicep). Azure Monitor already has the same numbers as the namespace's
   * ActiveMessages and DeadletteredMessages platform metrics, which the workbook charts.
   */
  async backlog(_queues: readonly string[]): Promise<QueueBacklog[]> {
    return [];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.senders.values()].map((s) => s.close()));
    this.senders.clear();
    await this.client.close();
  }

  /** One AMQP sender link per queue, reused for the life of the process. */
  private sender(queue: string): ServiceBusSender {
    let sender = this.senders.get(queue);
    if (!sender) {
      assertQueueName(queue);
      sender = this.client.createSender(queue);
      this.senders.set(queue, sender);
    }
    return sender;
  }
}

export function toServiceBusMessage(body: unknown, options: SendOptions): ServiceBusMessage {
  return {
    body,
    contentType: 'application/json',
    messageId: options.messageId,
    ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
    ...(options.scheduledEnqueueTimeUtc ? { scheduledEnqueueTimeUtc: options.scheduledEnqueueTimeUtc } : {}),
    ...(options.applicationProperties ? { applicationProperties: { ...options.applicationProperties } } : {}),
  };
}

type PropertyValue = string | number | boolean;

/** Keeps the property values the port carries; dates become ISO strings, nulls are dropped. */
export function portProperties(props: Record<string, unknown> | undefined): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  for (const [key, value] of Object.entries(props ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else if (value instanceof Date) out[key] = value.toISOString();
  }
  return out;
}

export function fromServiceBusMessage(message: ServiceBusReceivedMessage): ReceivedMessage {
  return {
    body: message.body,
    messageId: String(message.messageId ?? ''),
    deliveryCount: message.deliveryCount ?? 1,
    enqueuedTimeUtc: message.enqueuedTimeUtc ?? new Date(0),
    ...(message.correlationId !== undefined ? { correlationId: String(message.correlationId) } : {}),
    applicationProperties: portProperties(message.applicationProperties),
  };
}

function toDeadLetteredMessage(message: ServiceBusReceivedMessage): DeadLetteredMessage {
  return {
    ...fromServiceBusMessage(message),
    deadLetterReason: message.deadLetterReason ?? '',
    deadLetterErrorDescription: message.deadLetterErrorDescription ?? '',
  };
}
