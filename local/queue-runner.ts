import type { QueueConsumer } from '../shared/bus/consumer';
import { type BusLog, complete, type ReceivedMessage, type Settlement } from '../shared/bus/port';
import type { StorageQueueBus } from '../shared/bus/storage-queue-bus';
import { LOCAL_SETTLEMENT_FLAG, settlementFromResult } from '../shared/bus/trigger';
import { createInvocationContext, type InvocationTracker } from './invocation';
import type { FunctionRegistry, RegisteredFunction } from './registry';

/**
 * Runs every registered Service Bus queue trigger on the emulated bus: one consumer per
 * registration on its queueName, each message handed to the registered callback exactly as the
 * Functions host hands it over — `callback(body, InvocationContext{triggerMetadata})` — and settled
 * by what comes back (a Settlement from registerQueueHandler; nothing = complete; a throw = abandon).
 */
export interface QueueRunnerOptions {
  registry: FunctionRegistry;
  bus: StorageQueueBus;
  log: BusLog;
  /**
   * Messages handled at once per trigger: host.json `extensions.serviceBus.maxConcurrentCalls`
   * (local/host-json.ts), as the extension runs each trigger's processor. Default 16.
   */
  concurrency?: number;
  /** Lock renewal while a handler runs: host.json `maxAutoLockRenewalDuration`. Default 5 minutes. */
  maxAutoLockRenewalMs?: number;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** How often interrupted sends are re-sent and old dedup rows dropped; 0 disables. Default 30 s. */
  sweepIntervalMs?: number;
  /** Values of extra input bindings a trigger declares (the durable client), by binding type. */
  extraInputValue?: (bindingType: string) => unknown;
  /** Holds each invocation to host.json's functionTimeout, with every other invocation of the host. */
  invocations?: InvocationTracker;
}

export interface QueueTriggerRunner {
  /** Queue names served (one per registration; two functions may share a queue and compete). */
  queues: string[];
  stop(): Promise<void>;
}

/** `%NAME%` in a binding property is an app setting reference, resolved by the host at startup. */
export function resolveBindingExpression(value: string, env: Record<string, string | undefined> = process.env): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      throw new Error(`Binding expression %${name}% refers to an app setting that is not set.`);
    }
    return resolved;
  });
}

/** The worker lower-cases the first letter of every key, nested ones too (`toCamelCaseValue`). */
function camelValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(camelValue);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key.charAt(0).toLowerCase() + key.slice(1)] = camelValue(inner);
  return out;
}

/**
 * One binding-data value as the Node worker hands it to the function: the host sends strings as
 * typed strings and objects as JSON, and the worker JSON-parses both (`fromRpcTypedData`, whose
 * `tryJsonParse` keeps a string only when it does not parse). So a correlation id `1e400` arrives
 * as Infinity here exactly as it does in Azure, and the trigger's own normalising is exercised.
 */
function asWorkerDelivers(value: unknown): unknown {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  if (typeof value === 'object' && value !== null) return camelValue(JSON.parse(JSON.stringify(value)) as unknown);
  return value;
}

/** The extension's binding data for a message (PascalCase, as the host builds it). */
function bindingDataFor(message: ReceivedMessage): Record<string, unknown> {
  return {
    MessageId: message.messageId,
    DeliveryCount: message.deliveryCount,
    EnqueuedTimeUtc: message.enqueuedTimeUtc.toISOString(),
    ...(message.correlationId !== undefined ? { CorrelationId: message.correlationId } : {}),
    ApplicationProperties: message.applicationProperties,
    UserProperties: message.applicationProperties,
  };
}

/** context.triggerMetadata as the worker builds it from the binding data (`fromRpcTriggerMetadata`). */
export function triggerMetadataFor(message: ReceivedMessage): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bindingDataFor(message))) {
    metadata[key.charAt(0).toLowerCase() + key.slice(1)] = camelValue(asWorkerDelivers(value));
  }
  // Not binding data: the local host's own marker that it applies the returned Settlement.
  metadata[LOCAL_SETTLEMENT_FLAG] = true;
  return metadata;
}

async function invoke(
  fn: RegisteredFunction,
  message: ReceivedMessage,
  log: BusLog,
  extraInputValue: QueueRunnerOptions['extraInputValue'],
  invocations: InvocationTracker | undefined,
): Promise<Settlement> {
  // Extra inputs (a durable client) are filled in as the Functions host does for any trigger.
  const context = createInvocationContext(fn, log, {
    triggerMetadata: triggerMetadataFor(message),
    logFields: { messageId: message.messageId },
    ...(extraInputValue ? { extraInputValue } : {}),
  });
  // Held to functionTimeout like every invocation on the instance: an overrun fails it (and the
  // others in flight), the message is abandoned and comes back, as after a worker restart.
  const call = () => fn.callback(message.body, context);
  const result = await (invocations ? invocations.run(fn, context, call) : call());
  return settlementFromResult(result) ?? complete;
}

export async function startQueueTriggers(options: QueueRunnerOptions): Promise<QueueTriggerRunner> {
  const { registry, bus, log } = options;
  const consumers: QueueConsumer[] = [];
  for (const fn of registry.byTrigger('serviceBusTrigger')) {
    if (typeof fn.trigger.queueName !== 'string') {
      log('warn', 'Service Bus topic triggers are not emulated locally; skipped', { functionName: fn.name });
      continue;
    }
    const queue = resolveBindingExpression(fn.trigger.queueName);
    consumers.push(
      bus.startConsumer(queue, (message) => invoke(fn, message, log, options.extraInputValue, options.invocations), {
        concurrency: options.concurrency ?? 16,
        maxAutoLockRenewalMs: options.maxAutoLockRenewalMs ?? 5 * 60_000,
        pollIntervalMs: options.pollIntervalMs ?? 500,
        maxPollIntervalMs: options.maxPollIntervalMs ?? 1_000,
      }),
    );
  }

  const sweepEvery = options.sweepIntervalMs ?? 30_000;
  let sweeping: Promise<void> = Promise.resolve();
  const sweep = () => {
    sweeping = sweeping.then(() =>
      bus.sweepDedup().then(
        () => undefined,
        (error: unknown) =>
          log('warn', 'dedup sweep failed', { error: error instanceof Error ? error.message : String(error) }),
      ),
    );
  };
  // Once at start (a previous run may have died mid-send), then periodically.
  if (sweepEvery > 0) sweep();
  const timer = sweepEvery > 0 ? setInterval(sweep, sweepEvery) : undefined;
  timer?.unref();

  return {
    queues: consumers.map((c) => c.queue),
    stop: async () => {
      if (timer) clearInterval(timer);
      await Promise.all(consumers.map((c) => c.stop()));
      await sweeping;
    },
  };
}
