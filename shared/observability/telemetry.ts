import type { TracingContext } from '@azure/core-tracing';
import type { Context, Counter, Histogram, Span, Tracer } from '@opentelemetry/api';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import { z } from 'zod';
import { settings } from '../config/settings';
import { DefaultAzureCredential } from '../sdk/identity';
import {
  azureCoreTracing,
  azureMonitorExporter,
  otelApi,
  otelMetrics,
  otelOtlpTrace,
  otelResources,
  otelTraceNode,
} from '../sdk/opentelemetry';
import { azureSdkInstrumenter } from './azure-sdk-tracing';
import { MAX_ATTRIBUTE_LENGTH, safeAttributes, type TelemetryAttributes } from './telemetry-attributes';
import {
  ATTRIBUTE_NAMES,
  EVENT_NAMES,
  METRIC_NAMES,
  type ProbeState,
  SERVICE_NAME,
  type SPAN_NAMES,
  TRACEPARENT_PROPERTY,
  TRACESTATE_PROPERTY,
  type TransactionOutcome,
  type TransactionType,
} from './telemetry-names';

/**
 * Traces and metrics to Application Insights (or an OTLP endpoint locally), behind functions that
 * cost nothing when telemetry is off. OpenTelemetry is loaded on the first emit with telemetry on,
 * never at registration (shared/sdk/opentelemetry.ts; docs/telemetry.md).
 *
 * What may be emitted is narrow on purpose: attributes are the keys of ATTRIBUTE_NAMES with
 * scalar values (ids, codes, states, counts); errors contribute their name and code, never their
 * message or stack. No header, URL query, credential or payload body has a way in.
 */

export { safeAttributes, type TelemetryAttributes } from './telemetry-attributes';

export type SpanName = (typeof SPAN_NAMES)[keyof typeof SPAN_NAMES];
export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';
/** W3C trace context as message application properties or headers carry it. */
export type TraceCarrier = Record<string, string | number | boolean | undefined>;

export interface SpanHandle {
  /** Adds attributes (ids, codes, states) to the span. */
  set(attributes: TelemetryAttributes): void;
  /** Marks the span failed with a stable code (an error code or an HTTP status). */
  fail(code: string | number): void;
}

const NOOP_SPAN: SpanHandle = { set() {}, fail() {} };

// ---- configuration ----

/** Built on first use: registration (cold start) loads this module but never reads the mode. */
let telemetryEnvSchema: ReturnType<typeof buildTelemetryEnvSchema> | undefined;
function buildTelemetryEnvSchema() {
  return z.object({
    /** `off` switches telemetry off even when a connection string is set (tests, benchmarks). */
    HUB_TELEMETRY: z.enum(['auto', 'off']).default('auto'),
    APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().min(1).optional(),
    /** `ClientId=<guid>;Authorization=AAD` (infra/main.bicep): the identity that gets the Entra token. */
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z.string().optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  });
}

export type TelemetryMode =
  | { kind: 'off' }
  | { kind: 'azure-monitor'; connectionString: string; managedIdentityClientId?: string }
  | { kind: 'otlp'; endpoint: string };

/** Which exporter the environment asks for: Application Insights wins over OTLP; neither is off. */
export function telemetryModeFrom(env: Readonly<Record<string, unknown>>): TelemetryMode {
  telemetryEnvSchema ??= buildTelemetryEnvSchema();
  const parsed = telemetryEnvSchema.safeParse(env);
  if (!parsed.success || parsed.data.HUB_TELEMETRY === 'off') return { kind: 'off' };
  const e = parsed.data;
  if (e.APPLICATIONINSIGHTS_CONNECTION_STRING !== undefined) {
    const clientId = /(?:^|;)\s*ClientId=([^;]+)/i.exec(e.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '')?.[1];
    return {
      kind: 'azure-monitor',
      connectionString: e.APPLICATIONINSIGHTS_CONNECTION_STRING,
      ...(clientId !== undefined ? { managedIdentityClientId: clientId.trim() } : {}),
    };
  }
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined) return { kind: 'otlp', endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT };
  return { kind: 'off' };
}

// ---- the runtime, built on first use ----

interface Runtime {
  tracer: Tracer;
  counters: Record<'transactions' | 'probeStateChanges' | 'deliveryOutcomes' | 'replayGuardHits', Counter>;
  syncRuns: Histogram;
  backlog: Map<string, number>;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Exporters given directly (tests: in-memory ones); otherwise the mode decides. */
export interface TelemetryExporters {
  spans: SpanExporter;
  metrics?: PushMetricExporter;
}

/** undefined: not decided yet; null: off. */
let runtime: Runtime | null | undefined;

function buildRuntime(mode: TelemetryMode, given?: TelemetryExporters): Runtime | null {
  if (mode.kind === 'off' && given === undefined) return null;
  const api = otelApi();
  const traceSdk = otelTraceNode();
  const metricsSdk = otelMetrics();
  const resource = otelResources().resourceFromAttributes({ 'service.name': SERVICE_NAME });

  let spanProcessor:
    | InstanceType<typeof traceSdk.BatchSpanProcessor>
    | InstanceType<typeof traceSdk.SimpleSpanProcessor>;
  let metricExporter: PushMetricExporter | undefined;
  if (given !== undefined) {
    spanProcessor = new traceSdk.SimpleSpanProcessor(given.spans);
    metricExporter = given.metrics;
  } else if (mode.kind === 'azure-monitor') {
    const monitor = azureMonitorExporter();
    // Local auth is disabled on the component (infra/core/monitor/monitoring.bicep): every export
    // carries an Entra token of the app's user-assigned identity.
    const credential = new DefaultAzureCredential(
      mode.managedIdentityClientId !== undefined ? { managedIdentityClientId: mode.managedIdentityClientId } : {},
    );
    const options = { connectionString: mode.connectionString, credential };
    spanProcessor = new traceSdk.BatchSpanProcessor(new monitor.AzureMonitorTraceExporter(options));
    metricExporter = new monitor.AzureMonitorMetricExporter(options);
  } else if (mode.kind === 'otlp') {
    const otlp = otelOtlpTrace();
    spanProcessor = new traceSdk.BatchSpanProcessor(
      new otlp.OTLPTraceExporter({ url: `${mode.endpoint.replace(/\/$/, '')}/v1/traces` }),
    );
  } else {
    return null;
  }

  const tracerProvider = new traceSdk.NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Registers the AsyncLocalStorage context manager and the W3C propagator globally, so the active
  // span follows async calls and inject/extract speak traceparent.
  tracerProvider.register();
  const tracer = tracerProvider.getTracer(SERVICE_NAME);
  // Storage, Service Bus and Key Vault calls of the Azure SDKs become dependency spans too.
  azureCoreTracing().useInstrumenter(azureSdkInstrumenter(tracer));

  const metricReader =
    metricExporter !== undefined
      ? new metricsSdk.PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 })
      : undefined;
  const meterProvider = new metricsSdk.MeterProvider({ resource, readers: metricReader ? [metricReader] : [] });
  const meter = meterProvider.getMeter(SERVICE_NAME);
  const backlog = new Map<string, number>();
  meter
    .createObservableGauge(METRIC_NAMES.queueBacklog, { description: 'Messages waiting in a queue.' })
    .addCallback((result) => {
      for (const [key, depth] of backlog) {
        const [queue, deadLetter] = key.split('\u0000');
        result.observe(depth, { [ATTRIBUTE_NAMES.queue]: queue, [ATTRIBUTE_NAMES.deadLetter]: deadLetter === 'dl' });
      }
    });

  return {
    tracer,
    counters: {
      transactions: meter.createCounter(METRIC_NAMES.transactions, { description: 'Finished transactions.' }),
      probeStateChanges: meter.createCounter(METRIC_NAMES.probeStateChanges, {
        description: 'Settled probe state changes.',
      }),
      deliveryOutcomes: meter.createCounter(METRIC_NAMES.deliveryOutcomes, {
        description: 'Outbound delivery attempts by outcome.',
      }),
      replayGuardHits: meter.createCounter(METRIC_NAMES.replayGuardHits, {
        description: 'Replays refused by a guard.',
      }),
    },
    syncRuns: meter.createHistogram(METRIC_NAMES.syncRun, { description: 'Finished sync runs.', unit: 'ms' }),
    backlog,
    async flush() {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
      // Back to core-tracing's no-op instrumenter (a bare object is what its default does).
      azureCoreTracing().useInstrumenter({
        startSpan: (_name, options) => ({
          span: { end() {}, isRecording: () => false, recordException() {}, setAttribute() {}, setStatus() {} },
          tracingContext: options.tracingContext ?? (api.ROOT_CONTEXT as unknown as TracingContext),
        }),
        withContext: (_context, callback, ...args) => callback(...args),
        parseTraceparentHeader: () => undefined,
        createRequestHeaders: () => ({}),
      });
    },
  };
}

function active(): Runtime | null {
  runtime ??= buildRuntime(telemetryModeFrom(settingsOrNone()));
  return runtime;
}

/**
 * The process settings, or none when they do not parse: the app refuses to start on bad settings
 * elsewhere (app setup, the local host), and telemetry must never be the thing that throws.
 */
function settingsOrNone(): Readonly<Record<string, unknown>> {
  try {
    return settings();
  } catch {
    return {};
  }
}

/** Whether telemetry is on (decides, and loads OpenTelemetry, on the first call if it is). */
export function telemetryEnabled(): boolean {
  return active() !== null;
}

/**
 * Replaces the runtime with one exporting to `exporters` (a test's in-memory exporters), or with
 * the environment's choice again when called without. Returns a function that shuts it down.
 */
export async function useTelemetryExporters(exporters?: TelemetryExporters): Promise<() => Promise<void>> {
  await shutdownTelemetry();
  runtime = exporters !== undefined ? buildRuntime({ kind: 'off' }, exporters) : undefined;
  return shutdownTelemetry;
}

/** Sends what is buffered (spans, metrics); a no-op when telemetry is off. */
export async function flushTelemetry(): Promise<void> {
  const current = runtime;
  if (current) await current.flush();
}

/** How long the end of an invocation waits for its telemetry to be sent (docs/telemetry.md, "Flush"). */
export const INVOCATION_FLUSH_BOUND_MS = 1_000;

/**
 * Sends what is buffered, waiting at most `boundMs`: the Functions host may freeze or recycle an
 * instance once an invocation returns, and a batch waiting for its next interval would be lost
 * with it. Never throws and never loads OpenTelemetry (a runtime nobody started has nothing to
 * send). Resolves `flushed`, `nothing` (telemetry off or unused) or `timed_out`; an export still
 * running past the bound carries on in the background.
 */
export async function flushTelemetryWithin(boundMs: number): Promise<'flushed' | 'nothing' | 'timed_out'> {
  const current = runtime;
  if (!current) return 'nothing';
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'timed_out'>((resolve) => {
    timer = setTimeout(() => resolve('timed_out'), boundMs);
    timer.unref();
  });
  const flushed = current.flush().then(
    () => 'flushed' as const,
    // An exporter failure is the exporter's to report; the invocation it follows has succeeded.
    () => 'flushed' as const,
  );
  try {
    return await Promise.race([flushed, bound]);
  } finally {
    clearTimeout(timer);
  }
}

export async function shutdownTelemetry(): Promise<void> {
  const current = runtime;
  runtime = undefined;
  if (current) await current.shutdown();
}

/** An error's name and stable code: what a span may say about a failure (the message may quote input). */
function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'error';
}

// ---- spans ----

function spanKind(kind: SpanKindName): number {
  const { SpanKind } = otelApi();
  return {
    server: SpanKind.SERVER,
    client: SpanKind.CLIENT,
    producer: SpanKind.PRODUCER,
    consumer: SpanKind.CONSUMER,
    internal: SpanKind.INTERNAL,
  }[kind];
}

function handleFor(span: Span): SpanHandle {
  const { SpanStatusCode } = otelApi();
  return {
    set: (attributes) => span.setAttributes(safeAttributes(attributes)),
    fail: (code) => {
      span.setAttribute(ATTRIBUTE_NAMES.code, String(code).slice(0, MAX_ATTRIBUTE_LENGTH));
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(code).slice(0, MAX_ATTRIBUTE_LENGTH) });
    },
  };
}

function parentContext(parent: TraceCarrier | undefined): Context {
  const api = otelApi();
  if (parent === undefined) return api.context.active();
  const carrier: Record<string, string> = {};
  const traceparent = parent[TRACEPARENT_PROPERTY];
  const tracestate = parent[TRACESTATE_PROPERTY];
  if (typeof traceparent === 'string') carrier[TRACEPARENT_PROPERTY] = traceparent;
  if (typeof tracestate === 'string') carrier[TRACESTATE_PROPERTY] = tracestate;
  // No usable trace context: the span continues whatever is active (or starts a trace).
  if (carrier[TRACEPARENT_PROPERTY] === undefined) return api.context.active();
  return api.propagation.extract(api.ROOT_CONTEXT, carrier);
}

export interface SpanOptions {
  kind: SpanKindName;
  attributes?: TelemetryAttributes;
  /** W3C trace context to continue (a message's application properties, the host's traceparent). */
  parent?: TraceCarrier;
}

/**
 * Runs `run` inside a span that is active for everything it awaits, so nested spans and queue sends
 * join the same trace. A throw marks the span failed with the error's code and is rethrown.
 * Telemetry off: `run` is called with a handle that does nothing.
 */
export async function inSpan<T>(
  name: SpanName,
  options: SpanOptions,
  run: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  const rt = active();
  if (rt === null) return run(NOOP_SPAN);
  const api = otelApi();
  const parent = parentContext(options.parent);
  const span = rt.tracer.startSpan(
    name,
    { kind: spanKind(options.kind), attributes: safeAttributes(options.attributes) },
    parent,
  );
  const handle = handleFor(span);
  try {
    return await api.context.with(api.trace.setSpan(parent, span), () => run(handle));
  } catch (error) {
    handle.fail(errorCode(error));
    throw error;
  } finally {
    span.end();
  }
}

/** Adds attributes to the active span (code deep in a call learns the tenant, the integration). */
export function annotateActiveSpan(attributes: TelemetryAttributes): void {
  if (runtime === null || runtime === undefined) return;
  otelApi().trace.getActiveSpan()?.setAttributes(safeAttributes(attributes));
}

/**
 * The active trace context as message application properties (`traceparent`, `tracestate`), for a
 * queue hop to continue the trace; empty when telemetry is off or no span is active.
 */
export function traceProperties(): Record<string, string> {
  if (runtime === null || runtime === undefined) return {};
  const api = otelApi();
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.context.active(), carrier);
  const out: Record<string, string> = {};
  if (carrier[TRACEPARENT_PROPERTY] !== undefined) out[TRACEPARENT_PROPERTY] = carrier[TRACEPARENT_PROPERTY];
  if (carrier[TRACESTATE_PROPERTY] !== undefined) out[TRACESTATE_PROPERTY] = carrier[TRACESTATE_PROPERTY];
  return out;
}

// ---- metrics ----

export interface TransactionRecord {
  type: TransactionType;
  outcome: TransactionOutcome;
  /** The HTTP status or the platform's error code. */
  code: string | number;
  tenantId: string;
  integrationId?: string;
}

/** One finished transaction (counted in storage by shared/analytics too). No-op when telemetry is off. */
export function recordTransaction(record: TransactionRecord): void {
  const rt = active();
  if (rt === null) return;
  rt.counters.transactions.add(
    1,
    safeAttributes({
      transactionType: record.type,
      outcome: record.outcome,
      code: String(record.code),
      tenantId: record.tenantId,
      integrationId: record.integrationId,
    }),
  );
}

// ---- events ----

export type EventName = (typeof EVENT_NAMES)[keyof typeof EVENT_NAMES];

/**
 * One event: a zero-length internal span under whatever operation is active, with the same
 * allow-listed attributes as every span. No-op when telemetry is off.
 */
export function recordEvent(name: EventName, attributes: TelemetryAttributes): void {
  const rt = active();
  if (rt === null) return;
  const api = otelApi();
  rt.tracer
    .startSpan(name, { kind: spanKind('internal'), attributes: safeAttributes(attributes) }, api.context.active())
    .end();
}

/** An outbound delivery stopped retrying (the event; its attempts were counted one by one). */
export function recordDeliveryGaveUp(gaveUp: {
  tenantId: string;
  subscriptionId: string;
  deliveryId: string;
  reason: 'attempts_exhausted' | 'gone';
  code: string;
  catalogCode: string | null;
}): void {
  recordEvent(EVENT_NAMES.deliveryGaveUp, {
    tenantId: gaveUp.tenantId,
    subscriptionId: gaveUp.subscriptionId,
    deliveryId: gaveUp.deliveryId,
    reason: gaveUp.reason,
    code: gaveUp.code,
    catalogCode: gaveUp.catalogCode ?? undefined,
  });
}

// ---- metrics (and the events that go with them) ----

/** The counter, and the event with who and what: a state change is rare and each one matters. */
export function recordProbeStateChange(change: {
  tenantId: string;
  integrationId: string;
  vendor: string;
  from: ProbeState;
  to: ProbeState;
}): void {
  const rt = active();
  if (rt === null) return;
  rt.counters.probeStateChanges.add(
    1,
    safeAttributes({
      tenantId: change.tenantId,
      integrationId: change.integrationId,
      vendor: change.vendor,
      fromState: change.from,
      toState: change.to,
    }),
  );
  recordEvent(EVENT_NAMES.probeStateChanged, {
    tenantId: change.tenantId,
    integrationId: change.integrationId,
    vendor: change.vendor,
    fromState: change.from,
    toState: change.to,
  });
}

export function recordDeliveryOutcome(outcome: {
  tenantId: string;
  subscriptionId: string;
  outcome: TransactionOutcome;
  code: string | number;
}): void {
  const rt = active();
  if (rt === null) return;
  rt.counters.deliveryOutcomes.add(
    1,
    safeAttributes({
      tenantId: outcome.tenantId,
      subscriptionId: outcome.subscriptionId,
      outcome: outcome.outcome,
      code: String(outcome.code),
    }),
  );
}

/** The counter and the event: a guard hit is someone replaying too eagerly, worth seeing by tenant. */
export function recordReplayGuardHit(hit: { tenantId: string; guard: string }): void {
  const rt = active();
  if (rt === null) return;
  rt.counters.replayGuardHits.add(1, safeAttributes({ tenantId: hit.tenantId, guard: hit.guard }));
  recordEvent(EVENT_NAMES.replayGuardHit, { tenantId: hit.tenantId, guard: hit.guard });
}

/**
 * The depth last read of a queue (or, with `deadLetter`, of its `<queue>-deadletter` companion);
 * observed on each metric export as the backlog gauge with dimensions `queue` and `deadLetter`.
 */
export function recordQueueBacklog(queue: string, depth: number, deadLetter = false): void {
  const rt = active();
  if (rt === null) return;
  rt.backlog.set(`${queue}\u0000${deadLetter ? 'dl' : 'active'}`, depth);
}

/**
 * A finished sync run: the `hub_sync_run` histogram (its duration; dimensions vendor, entity,
 * outcome) and the event with the run's numbers, which the sync alerts read per integration
 * (infra/core/monitor/sync-alerts.bicep). Ids and counts only: no records, no credentials.
 */
export function recordSyncRun(run: {
  tenantId: string;
  integrationId: string;
  syncRunId: string;
  vendor: string;
  entity: string;
  outcome: 'succeeded' | 'failed' | 'stopped';
  durationMs: number;
  records: number;
  warnings: number;
  code?: string | undefined;
}): void {
  const rt = active();
  if (rt === null) return;
  rt.syncRuns.record(
    run.durationMs,
    safeAttributes({
      tenantId: run.tenantId,
      integrationId: run.integrationId,
      vendor: run.vendor,
      entity: run.entity,
      outcome: run.outcome,
    }),
  );
  recordEvent(EVENT_NAMES.syncRunFinished, {
    tenantId: run.tenantId,
    integrationId: run.integrationId,
    syncRunId: run.syncRunId,
    vendor: run.vendor,
    entity: run.entity,
    outcome: run.outcome,
    durationMs: run.durationMs,
    records: run.records,
    warnings: run.warnings,
    code: run.code,
  });
}
