/**
 * Every name the hub emits to Application Insights: spans, metrics and their attributes. The
 * workbook and the log alerts in infra/ query these names, and test/unit/infra-workbook.test.ts
 * fails if a query uses a name that is not here, so renaming one means updating both sides.
 *
 * Names avoid dots: Application Insights puts span and metric attributes into `customDimensions`,
 * where a plain identifier is queried as `customDimensions.tenantId` without quoting.
 */

/** Span names (Application Insights: `requests` for server/consumer spans, `dependencies` for the rest). */
export const SPAN_NAMES = {
  /** A vendor webhook arriving at /api/hooks/{webhookId} (server). */
  webhookReceive: 'hub webhook receive',
  /** One stage message handled by its queue trigger (consumer). */
  queueProcess: 'hub queue process',
  /** One message sent to a queue (producer): the hop the next stage continues from. */
  queueSend: 'hub queue send',
  /** One HTTP call to a vendor API through the vendor HTTP port (client). */
  vendorCall: 'hub vendor call',
  /** One outbound webhook attempt to a subscriber (client). */
  outboundAttempt: 'hub outbound attempt',
} as const;

/**
 * Event names: one moment worth a row of its own (who, what, why), beside the counters that count
 * them. Emitted as zero-length internal spans under the operation they happened in, so they reach
 * Application Insights as `dependencies` rows of type InProc with this name (docs/telemetry.md,
 * "Events"; docs/decisions.md §62 says why not `customEvents`).
 */
export const EVENT_NAMES = {
  /** An integration's settled probe state changed (fromState → toState). */
  probeStateChanged: 'hub event probe state changed',
  /** A replay was refused by a guard (`guard` is the refusal code). */
  replayGuardHit: 'hub event replay guard hit',
  /** An outbound delivery stopped retrying: five automatic attempts failed, or the receiver answered 410. */
  deliveryGaveUp: 'hub event delivery gave up',
  /** Routing gave a ticket its team (`routedBy`: client_link, rule or default; `ruleId` when a rule). */
  ticketRouted: 'hub event ticket routed',
  /** A person moved a ticket to another team (`teamId` is the new one); it feeds routing accuracy. */
  ticketReassigned: 'hub event ticket reassigned',
  /** Routing could not give a ticket a team (`code`: no_team, config_unreadable, routing_failed). */
  routingFailed: 'hub event routing failed',
  /** A sync run finished (`outcome`: succeeded, failed, stopped) with its duration, records and warnings. */
  syncRunFinished: 'hub event sync run finished',
} as const;

/** Metric names (Application Insights `customMetrics.name`). */
export const METRIC_NAMES = {
  /** Counter: one per finished transaction (inbound webhook, outbound webhook, …). */
  transactions: 'hub_transactions',
  /** Counter: an integration's settled probe state changed (from → to). */
  probeStateChanges: 'hub_probe_state_changes',
  /** Counter: an outbound delivery attempt finished. */
  deliveryOutcomes: 'hub_delivery_outcomes',
  /** Counter: a replay was refused by a guard (cooldown, in flight, rate, confirmation). */
  replayGuardHits: 'hub_replay_guard_hits',
  /** Gauge: messages waiting in a queue (stage queues and their dead-letter companions). */
  queueBacklog: 'hub_queue_backlog',
  /** Histogram: one finished sync run, its duration in ms (`outcome` is the run's status). */
  syncRun: 'hub_sync_run',
} as const;

/** Attribute (customDimensions) keys. Values are ids, codes and states — never secrets or bodies. */
export const ATTRIBUTE_NAMES = {
  tenantId: 'tenantId',
  integrationId: 'integrationId',
  correlationId: 'correlationId',
  eventId: 'eventId',
  webhookId: 'webhookId',
  subscriptionId: 'subscriptionId',
  deliveryId: 'deliveryId',
  transactionType: 'transactionType',
  outcome: 'outcome',
  code: 'code',
  vendor: 'vendor',
  queue: 'queue',
  stage: 'stage',
  step: 'step',
  deliveryCount: 'deliveryCount',
  fromState: 'fromState',
  toState: 'toState',
  guard: 'guard',
  httpMethod: 'httpMethod',
  httpStatus: 'httpStatus',
  serverAddress: 'serverAddress',
  attempt: 'attempt',
  /** A queue's messages waiting in its `<queue>-deadletter` companion (backlog gauge). */
  deadLetter: 'deadLetter',
  /** Why a delivery gave up (`attempts_exhausted`, `gone`). */
  reason: 'reason',
  /** The error catalog entry of `code` (GET /api/v1/error-catalog/{code}). */
  catalogCode: 'catalogCode',
  /** The Azure service of an Azure SDK dependency span (`Microsoft.Storage`, `Microsoft.ServiceBus`, …). */
  azureNamespace: 'azureNamespace',
  /** The team routing or a person gave a ticket (a tenant's own slug, shared/routing). */
  teamId: 'teamId',
  /** How a ticket's team was decided: client_link, rule, default or manual. */
  routedBy: 'routedBy',
  /** The routing rule that decided (a tenant's own slug). */
  ruleId: 'ruleId',
  /** A sync run (shared/sync). */
  syncRunId: 'syncRunId',
  /** The entities a sync run covered, comma-separated in the order they ran (`tickets`, `clients,assets`). */
  entity: 'entity',
  /** A finished sync run's duration in milliseconds. */
  durationMs: 'durationMs',
  /** Records a finished sync run handled (created + updated + skipped + failed). */
  records: 'records',
  /** Data-quality warnings of a finished sync run. */
  warnings: 'warnings',
} as const;

export type AttributeName = (typeof ATTRIBUTE_NAMES)[keyof typeof ATTRIBUTE_NAMES];

/** The kinds of transaction the dashboards count (docs/telemetry.md). */
export const TRANSACTION_TYPES = [
  'inbound_webhook',
  'outbound_webhook',
  'prebuilt_integration',
  'custom_node',
  'custom_event',
] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export const TRANSACTION_OUTCOMES = ['succeeded', 'failed'] as const;
export type TransactionOutcome = (typeof TRANSACTION_OUTCOMES)[number];

/** The settled probe states (shared/health) as the workbook shows them. */
export const PROBE_STATES = ['connected', 'disconnected', 'needs_attention', 'unknown'] as const;
export type ProbeState = (typeof PROBE_STATES)[number];

/** The message application property carrying W3C trace context across a queue hop. */
export const TRACEPARENT_PROPERTY = 'traceparent';
export const TRACESTATE_PROPERTY = 'tracestate';

/** The service name every span and metric carries (cloud_RoleName in Application Insights). */
export const SERVICE_NAME = 'msp-integration-hub';
