import { app, type InvocationContext, type ServiceBusQueueFunctionOptions } from '@azure/functions';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { z } from 'zod';
import { nowMs } from '../clock';
import * as df from '../sdk/durable-functions';
import { loadOnFirstCall } from '../sdk/load-on-first-use';
import { withInvocationDurableClient } from './durable-binding';
import type { DeadLetterForwarder, ReceivedMessage, Settlement } from './port';
import { processBus } from './process-bus';
import { fromServiceBusMessage, portProperties } from './service-bus-bus';
import { consumeTraced } from './trace-context';

/**
 * Wires a domain MessageHandler to a Service Bus queue trigger. The same registration runs on the
 * Functions host in Azure and on the local host; the handler sees a ReceivedMessage and returns a
 * Settlement either way. How the settlement is applied depends on who invoked the trigger:
 *
 * 1. Local host (the queue runner sets LOCAL_SETTLEMENT_FLAG in triggerMetadata): the Settlement
 *    is the return value and the runner applies it to the storage-queue lock; throwing = abandon.
 * 2. Azure, plain binding (today's default): the host completes on return and abandons on throw.
 *    It cannot dead-letter with a reason, so an explicit dead-letter is forwarded as a copy to
 *    `<queue>-deadletter` (where the queue's built-in DLQ is also auto-forwarded) and the original
 *    then completes. A crash in between redelivers the original; the copy is deduplicated there.
 * 3. Azure with SDK binding (`@azure/functions-extensions-servicebus`, not installed today): the
 *    input is a ServiceBusMessageContext and the wrapper settles through its actions — complete,
 *    deadletter(reason, description) into the built-in DLQ, abandon on throw. The registration
 *    does not ask for it (see docs/bus.md, "Moving to the SDK binding").
 * See docs/bus.md, "Settlement on Azure".
 */

/** The triggerMetadata key with which a host says "I apply the returned Settlement". */
export const LOCAL_SETTLEMENT_FLAG = 'hubLocalSettlement';

const settlementSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('complete') }),
  z.object({ kind: z.literal('deadLetter'), reason: z.string(), description: z.string() }),
]);

/** The Settlement a trigger returned, if it returned one (a plain handler returning nothing completes). */
export function settlementFromResult(result: unknown): Settlement | undefined {
  const parsed = settlementSchema.safeParse(result);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A string the worker may have turned into a scalar: it JSON-parses every string value of trigger
 * metadata (`tryJsonParse` in @azure/functions' fromRpcTypedData), so a message id or correlation id
 * `true`, `1e400` or a long digit string arrives as a boolean, Infinity or a rounded number. Taken
 * back to a string here, so such a message is handled rather than abandoned until it is a poison
 * message. The text may differ from what was sent (`Infinity`, rounding); the receive path refuses
 * such correlation ids up front (shared/http/correlation.ts), so only foreign senders meet this.
 */
const scalarString = z.preprocess(
  (value) => (typeof value === 'number' || typeof value === 'boolean' ? String(value) : value),
  z.string(),
);

/**
 * What the Node worker puts in context.triggerMetadata for a Service Bus message: the extension's
 * binding data (MessageId, DeliveryCount, EnqueuedTimeUtc, CorrelationId, ApplicationProperties,
 * UserProperties, LockToken, …) with each key's first letter lower-cased, nested keys included,
 * and every string value JSON-parsed when it parses.
 */
const triggerMetadataSchema = z.object({
  messageId: scalarString.optional(),
  deliveryCount: z.coerce.number().int().nonnegative().optional(),
  enqueuedTimeUtc: z.union([scalarString, z.date()]).optional(),
  correlationId: scalarString.nullish(),
  applicationProperties: z.record(z.string(), z.unknown()).nullish(),
  userProperties: z.record(z.string(), z.unknown()).nullish(),
  [LOCAL_SETTLEMENT_FLAG]: z.boolean().optional(),
});

export class TriggerMetadataError extends Error {
  readonly code = 'invalid_trigger_metadata';
  override readonly name = 'TriggerMetadataError';
}

function toDate(value: string | Date | undefined): Date {
  const date = value === undefined ? undefined : new Date(value);
  return date && !Number.isNaN(date.getTime()) ? date : new Date(nowMs());
}

export function receivedMessageFromTrigger(body: unknown, triggerMetadata: unknown): ReceivedMessage {
  const parsed = triggerMetadataSchema.safeParse(triggerMetadata ?? {});
  if (!parsed.success) {
    throw new TriggerMetadataError(`Service Bus trigger metadata is unreadable: ${parsed.error.message}`);
  }
  const meta = parsed.data;
  if (meta.messageId === undefined || meta.messageId === '') {
    throw new TriggerMetadataError('Service Bus trigger metadata has no messageId.');
  }
  return {
    body,
    messageId: meta.messageId,
    deliveryCount: Math.max(1, meta.deliveryCount ?? 1),
    enqueuedTimeUtc: toDate(meta.enqueuedTimeUtc),
    ...(meta.correlationId !== undefined && meta.correlationId !== null ? { correlationId: meta.correlationId } : {}),
    applicationProperties: portProperties(meta.applicationProperties ?? meta.userProperties ?? undefined),
  };
}

/** The settlement surface of @azure/functions-extensions-servicebus' ServiceBusMessageActions. */
export interface SdkMessageActions {
  complete(message: ServiceBusReceivedMessage): Promise<void>;
  abandon(message: ServiceBusReceivedMessage): Promise<void>;
  deadletter(
    message: ServiceBusReceivedMessage,
    propertiesToModify?: Uint8Array,
    deadletterReason?: string,
    deadletterErrorDescription?: string,
  ): Promise<void>;
}

export interface SdkMessageContext {
  messages: ServiceBusReceivedMessage | ServiceBusReceivedMessage[];
  actions: SdkMessageActions;
}

export function isSdkMessageContext(input: unknown): input is SdkMessageContext {
  if (typeof input !== 'object' || input === null) return false;
  const candidate = input as { messages?: unknown; actions?: unknown };
  const actions = candidate.actions as Record<string, unknown> | undefined;
  return (
    candidate.messages !== undefined &&
    typeof actions === 'object' &&
    actions !== null &&
    typeof actions['complete'] === 'function' &&
    typeof actions['abandon'] === 'function' &&
    typeof actions['deadletter'] === 'function'
  );
}

async function settleThroughSdk(
  queueName: string,
  input: SdkMessageContext,
  handler: QueueMessageHandler,
  bindings: QueueBindings,
): Promise<void> {
  const messages = Array.isArray(input.messages) ? input.messages : [input.messages];
  let firstError: unknown;
  for (const message of messages) {
    let settlement: Settlement;
    try {
      const received = fromServiceBusMessage(message);
      settlement = await consumeTraced(queueName, received, () => handler(received, bindings));
    } catch (error) {
      await input.actions.abandon(message);
      firstError ??= error;
      continue;
    }
    if (settlement.kind === 'deadLetter') {
      await input.actions.deadletter(message, undefined, settlement.reason, settlement.description);
    } else {
      await input.actions.complete(message);
    }
  }
  // Rethrown so the invocation shows as failed; with autoCompleteMessages off the host settles nothing.
  if (firstError !== undefined) throw firstError;
}

export interface QueueTriggerDeps {
  /** Where an explicit dead-letter goes on the plain Azure binding. Default: the process bus. */
  forwarder?: () => DeadLetterForwarder;
  /** The registration declared a `durableClient` input binding: hand the client to the handler. */
  durableClient?: boolean;
}

/** Input bindings besides the message that a registration declared (see QueueHandlerOptions). */
export interface QueueBindings {
  durableClient?: df.DurableClient;
}

/** A MessageHandler that may also read the invocation's declared input bindings (a plain MessageHandler is one). */
export type QueueMessageHandler = (message: ReceivedMessage, bindings: QueueBindings) => Promise<Settlement>;

export type QueueTriggerHandler = (input: unknown, context: InvocationContext) => Promise<Settlement | undefined>;

/**
 * The durable client, when the registration declared one, both as an argument and for the whole
 * call (shared/bus/durable-binding), so code the handler calls needs no plumbing to reach it.
 */
function withBindings<T>(
  context: InvocationContext,
  wanted: boolean,
  run: (bindings: QueueBindings) => Promise<T>,
): Promise<T> {
  if (!wanted) return run({});
  const client = df.getClient(context);
  return withInvocationDurableClient(client, () => run({ durableClient: client }));
}

export function queueTriggerHandler(
  queueName: string,
  handler: QueueMessageHandler,
  deps: QueueTriggerDeps = {},
): QueueTriggerHandler {
  const withClient = deps.durableClient === true;
  return async (input, context) => {
    if (isSdkMessageContext(input)) {
      await withBindings(context, withClient, (bindings) => settleThroughSdk(queueName, input, handler, bindings));
      return undefined;
    }
    const message = receivedMessageFromTrigger(input, context.triggerMetadata);
    const settlement = await consumeTraced(queueName, message, () =>
      withBindings(context, withClient, (bindings) => handler(message, bindings)),
    );
    const hostSettles = context.triggerMetadata?.[LOCAL_SETTLEMENT_FLAG] === true;
    if (settlement.kind === 'deadLetter' && !hostSettles) {
      const forwarder = (deps.forwarder ?? processBus)();
      await forwarder.forwardToDeadLetter(queueName, message, settlement.reason, settlement.description);
      context.warn(`Message ${message.messageId} dead-lettered to ${queueName}-deadletter: ${settlement.reason}`);
    }
    // The return value is ignored by the Azure host (no $return binding) and read by the local one.
    return settlement;
  };
}

export interface QueueHandlerOptions {
  /**
   * Declare the Durable client input binding (`df.input.durableClient()`), as any Azure trigger
   * may: the handler gets it as `bindings.durableClient`, and code it calls through
   * `invocationDurableClient()` (e.g. a stage publishing an outbound event starts the deliveries).
   */
  durableClient?: boolean;
}

/**
 * A handler imported on the first message: functions/ registers queue triggers with this so a cold
 * start evaluates none of the capability code behind them (docs/decisions.md §38).
 */
export function lazyQueueHandler(load: () => Promise<QueueMessageHandler>): QueueMessageHandler {
  return loadOnFirstCall(load);
}

/**
 * Register `handler` for `queueName` under the connection `ServiceBusConnection` (identity-based in
 * Azure: ServiceBusConnection__fullyQualifiedNamespace). Domain code calls only this.
 */
export function registerQueueHandler(
  functionName: string,
  queueName: string,
  handler: QueueMessageHandler,
  options: QueueHandlerOptions = {},
): void {
  const wantsClient = options.durableClient === true;
  const registration: ServiceBusQueueFunctionOptions = {
    queueName,
    connection: 'ServiceBusConnection',
    handler: queueTriggerHandler(queueName, handler, { durableClient: wantsClient }),
    ...(wantsClient ? { extraInputs: [df.input.durableClient()] } : {}),
  };
  app.serviceBusQueue(functionName, registration);
}
