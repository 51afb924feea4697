import { setTimeout as sleep } from 'node:timers/promises';
import { noteFailureNow } from '../analytics/deps';
import type { Transaction } from '../analytics/transactions';
import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import { guardedFetch } from '../net/guarded-fetch';
import { errorFields, logger } from '../observability/logger';
import { inSpan, recordDeliveryGaveUp, recordDeliveryOutcome } from '../observability/telemetry';
import { SPAN_NAMES } from '../observability/telemetry-names';
import type { Stored, TableWrite } from '../storage/table-repository';
import { countControl } from './control-counts';
import { type AttemptView, attemptView, changeDelivery, HELD_REASON, readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import { recordEndpointHealth } from './endpoint-health';
import { attemptCodes, classifyNetworkFailure } from './network-failure';
import { MAX_AUTOMATIC_ATTEMPTS, parseRetryAfter } from './schedule';
import { signDelivery } from './signing';
import { disableSubscription, signingSecrets } from './subscriptions';
import {
  type AttemptRecord,
  type AttemptTrigger,
  type AutomaticOutcome,
  attemptLogRowKey,
  attemptRowKey,
  attemptsPartition,
  type DeliveryPartitionRow,
  type DeliveryRecord,
  dayPartition,
  type SubscriptionRecord,
} from './tables';
import { noteSlowDown } from './throttle';

/** Response bodies kept in the attempt log (docs/design.md §8.4: 4 KiB). */
export const RESPONSE_EXCERPT_BYTES = 4096;
/** An in-flight lease outlives the attempt's own timeout by this much (a crashed sender frees it). */
const LEASE_MARGIN_MS = 20_000;
const USER_AGENT = 'MSP-Integration-Hub-Webhooks/1';

export interface SendResult {
  statusCode?: number;
  durationMs: number;
  error?: string;
  /** For counters and the attempt row: the HTTP status, or a network failure code (network-failure.ts). */
  code: string;
  responseExcerpt?: string;
  retryAfterMs?: number;
}

/** The JSON body every attempt of a delivery sends (the same bytes each time). */
export function deliveryBody(event: { id: string; type: string; publishedAt: string; data: unknown }): string {
  return JSON.stringify({ type: event.type, timestamp: event.publishedAt, eventId: event.id, data: event.data });
}

/** One attempt inside a dependency span: the subscriber's host, never its path, query or headers. */
export function sendAttempt(
  deps: OutboundDeps,
  sub: SubscriptionRecord,
  deliveryId: string,
  body: string,
  eventType: string,
  n: number,
  trigger: AttemptTrigger,
): Promise<SendResult> {
  let host: string | undefined;
  try {
    host = new URL(sub.url).hostname;
  } catch {
    host = undefined;
  }
  return inSpan(
    SPAN_NAMES.outboundAttempt,
    { kind: 'client', attributes: { deliveryId, attempt: n, httpMethod: 'POST', serverAddress: host } },
    async (span) => {
      const result = await sendUntraced(deps, sub, deliveryId, body, eventType, n, trigger);
      if (result.statusCode !== undefined) span.set({ httpStatus: result.statusCode });
      if (!succeeded(result)) span.fail(result.code);
      return result;
    },
  );
}

async function sendUntraced(
  deps: OutboundDeps,
  sub: SubscriptionRecord,
  deliveryId: string,
  body: string,
  eventType: string,
  n: number,
  trigger: AttemptTrigger,
): Promise<SendResult> {
  const secrets = await signingSecrets(deps, sub);
  const started = nowMs();
  const headers: Record<string, string> = {
    ...sub.headers,
    'Content-Type': 'application/json',
    'User-Agent': USER_AGENT,
    ...signDelivery({ id: deliveryId, timestampMs: started, body, secrets }),
    'X-Webhook-Event': eventType,
    'X-Webhook-Attempt': String(n),
    'X-Webhook-Attempt-Trigger': trigger,
  };
  try {
    const response = await guardedFetch(sub.url, {
      method: 'POST',
      headers,
      body,
      timeoutMs: deps.attemptTimeoutMs,
      maxResponseBytes: RESPONSE_EXCERPT_BYTES,
      policy: deps.policy,
      ...(deps.dnsLookup ? { dnsLookup: deps.dnsLookup } : {}),
    });
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], nowMs());
    return {
      statusCode: response.status,
      durationMs: nowMs() - started,
      code: String(response.status),
      responseExcerpt: response.body.toString('utf8'),
      ...(response.status >= 200 && response.status < 300 ? {} : { error: `HTTP ${response.status}` }),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (error) {
    const durationMs = nowMs() - started;
    const failure = classifyNetworkFailure(error);
    if (failure) return { durationMs, code: failure.code, error: failure.detail };
    throw error;
  }
}

export const succeeded = (r: SendResult) => r.statusCode !== undefined && r.statusCode >= 200 && r.statusCode < 300;

/**
 * Take the delivery's in-flight lease and number the attempt. `undefined` when another attempt
 * holds it (or `allow` refuses the current row); the lease expires, so a crashed sender never
 * blocks a delivery for longer than one attempt.
 */
async function acquire(
  deps: OutboundDeps,
  tenantId: string,
  deliveryId: string,
  trigger: AttemptTrigger,
  allow: (current: DeliveryRecord) => boolean,
  known?: Stored<DeliveryRecord>,
): Promise<{ n: number; delivery: Stored<DeliveryRecord> } | 'busy' | 'refused'> {
  let verdict: 'busy' | 'refused' | undefined;
  const result = await changeDelivery(
    deps,
    tenantId,
    deliveryId,
    (current) => {
      verdict = undefined;
      if (!allow(current)) {
        verdict = 'refused';
        return undefined;
      }
      if (current.inFlight && current.inFlight.untilMs > nowMs()) {
        verdict = 'busy';
        return undefined;
      }
      const n = current.attemptCount + 1;
      return {
        ...current,
        attemptCount: n,
        inFlight: { n, trigger, untilMs: nowMs() + deps.attemptTimeoutMs + LEASE_MARGIN_MS },
      };
    },
    known,
  );
  if (verdict) return verdict;
  if (!result?.value.inFlight) return 'refused';
  return { n: result.value.inFlight.n, delivery: result };
}

async function loadEventBody(
  deps: OutboundDeps,
  tenantId: string,
  delivery: DeliveryRecord,
): Promise<{ body: string; type: string } | undefined> {
  if (delivery.eventBody !== undefined) return { body: delivery.eventBody, type: delivery.eventType };
  const eventId = delivery.eventId;
  const event = await deps.tables.events.get(dayPartition(tenantId, eventId), eventId);
  if (!event || event.value.payloadErasedAt) return undefined;
  return {
    type: event.value.type,
    body: deliveryBody({
      id: eventId,
      type: event.value.type,
      publishedAt: event.value.publishedAt,
      data: event.value.data,
    }),
  };
}

/** The attempt log row to write with the outcome, for a delivery whose log sits beside it. */
export function logRow(delivery: Stored<DeliveryRecord>, record: AttemptRecord): TableWrite<DeliveryPartitionRow>[] {
  return delivery.value.keys === 'row'
    ? [{ op: 'upsert', rowKey: attemptLogRowKey(delivery.rowKey, record.n), value: record }]
    : [];
}

/** The attempt row, the counters and the endpoint health: the bookkeeping after every attempt. */
export async function recordAttempt(
  deps: OutboundDeps,
  tenantId: string,
  delivery: Stored<DeliveryRecord>,
  n: number,
  trigger: AttemptTrigger,
  at: number,
  result: SendResult,
): Promise<AttemptRecord> {
  const record: AttemptRecord = {
    n,
    at: new Date(at).toISOString(),
    trigger,
    durationMs: Math.max(0, Math.round(result.durationMs)),
    ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
    code: result.code,
    ...(result.error ? { error: result.error } : {}),
    ...(result.responseExcerpt !== undefined ? { responseExcerpt: result.responseExcerpt } : {}),
  };
  // A delivery with its index beside it logs the attempt in its outcome's transaction (logRow);
  // an older one here first. Upsert: a re-run after a crash overwrites its own half-recorded row.
  if (delivery.value.keys !== 'row')
    await deps.tables.attempts.upsert(attemptsPartition(tenantId, delivery.rowKey), attemptRowKey(n), record);
  const ok = succeeded(result);
  recordDeliveryOutcome({
    tenantId,
    subscriptionId: delivery.value.subscriptionId,
    outcome: ok ? 'succeeded' : 'failed',
    code: result.code,
  });
  if (deps.tallies) {
    deps.tallies.add(deps, {
      tenantId,
      subscriptionId: delivery.value.subscriptionId,
      success: ok,
      code: result.code,
      statusCode: result.statusCode,
      error: result.error,
      at: nowMs(),
    });
  }
  await Promise.all([
    deps.tallies
      ? undefined
      : deps.counters.increment({
          tenantId,
          integrationType: 'outbound_webhook',
          integrationId: delivery.value.subscriptionId,
          outcome: ok ? 'succeeded' : 'failed',
          code: result.code,
        }),
    deps.tallies
      ? undefined
      : recordEndpointHealth(deps, tenantId, delivery.value.subscriptionId, {
          success: ok,
          statusCode: result.statusCode,
          error: result.error,
        }).catch((error: unknown) => logger.warn('subscription health not updated', errorFields(error))),
    ok ? undefined : noteFailureNow(attemptFailure(tenantId, delivery, result)),
  ]);
  if (result.statusCode === 429 && result.retryAfterMs !== undefined) {
    await noteSlowDown(deps, tenantId, delivery.value.subscriptionId, result.retryAfterMs);
  }
  if (result.statusCode === 410) {
    await disableSubscription(deps, tenantId, delivery.value.subscriptionId, 'the endpoint answered 410 Gone');
  }
  return record;
}

export interface AutomaticAttemptInput {
  tenantId: string;
  deliveryId: string;
  /** 1 = the initial attempt, 2-5 the scheduled ones. */
  k: number;
}

/** `known`: the row the attempt has just read (written against its ETag, read again if it moved). */
async function stop(
  deps: OutboundDeps,
  input: AutomaticAttemptInput,
  known: Stored<DeliveryRecord>,
  status: 'skipped' | 'failed',
  reason: string,
): Promise<AutomaticOutcome> {
  await changeDelivery(
    deps,
    input.tenantId,
    input.deliveryId,
    (current) => (current.status === 'succeeded' ? undefined : { ...current, status, statusReason: reason }),
    known,
  );
  return { kind: 'stopped', reason };
}

/**
 * A first attempt whose subscription was paused after the publish: the delivery joins the held
 * ones (status `held`, nothing sent) and the resume releases it in its turn (pause.ts). A delivery
 * already in its retry schedule is not held: its orchestration keeps the schedule.
 */
async function hold(
  deps: OutboundDeps,
  input: AutomaticAttemptInput,
  known: Stored<DeliveryRecord>,
): Promise<AutomaticOutcome> {
  let heldNow = false;
  const held = await changeDelivery(
    deps,
    input.tenantId,
    input.deliveryId,
    (current) => {
      heldNow = current.status === 'pending' && current.automaticAttempts === 0 && !current.inFlight;
      return heldNow ? { ...current, status: 'held', statusReason: HELD_REASON } : undefined;
    },
    known,
  );
  if (heldNow && held) await countControl(deps, input.tenantId, held.value.subscriptionId, 'held');
  return { kind: 'stopped', reason: HELD_REASON };
}

/**
 * One automatic attempt (the orchestration's activity). It re-reads the delivery and its
 * subscription first and sends nothing when a manual retry already succeeded, the subscription is
 * gone or disabled, or the tenant is disabled. Re-run after a crash, an attempt already recorded
 * returns its recorded outcome instead of sending again.
 */
export async function runAutomaticAttempt(
  deps: OutboundDeps,
  input: AutomaticAttemptInput,
  /** Rows the caller has just read (the first-attempt worker's throttle check): not read again. */
  known?: { delivery: Stored<DeliveryRecord>; subscription: Stored<SubscriptionRecord> | undefined },
): Promise<AutomaticOutcome> {
  const { tenantId, deliveryId, k } = input;
  const current = known ? known.delivery : await readDelivery(deps, tenantId, deliveryId);
  if (!current) return { kind: 'stopped', reason: 'the delivery no longer exists' };
  if (current.value.automaticAttempts >= k) {
    return current.value.lastAutomaticOutcome ?? { kind: 'stopped', reason: 'already attempted' };
  }
  if (current.value.status === 'succeeded') return { kind: 'stopped', reason: 'already succeeded' };
  if (current.value.status === 'failed' || current.value.status === 'skipped') {
    return { kind: 'stopped', reason: `the delivery is ${current.value.status}` };
  }
  // Held deliveries wait for the resume, which moves each to `pending` before its first attempt.
  if (current.value.status === 'held') return { kind: 'stopped', reason: HELD_REASON };
  const sub = known ? known.subscription : await deps.tables.subscriptions.get(tenantId, current.value.subscriptionId);
  if (!sub) return stop(deps, input, current, 'failed', 'the subscription was deleted');
  if (!sub.value.enabled) {
    return stop(
      deps,
      input,
      current,
      'skipped',
      `the subscription is disabled: ${sub.value.disabledReason ?? 'no reason given'}`,
    );
  }
  if (sub.value.paused && k === 1 && current.value.automaticAttempts === 0) return hold(deps, input, current);
  if (!(await deps.tenantIsActive(tenantId))) return stop(deps, input, current, 'skipped', 'the tenant is disabled');
  if (current.value.payloadErasedAt) return stop(deps, input, current, 'failed', 'the payload was erased');
  const event = await loadEventBody(deps, tenantId, current.value);
  if (!event) return stop(deps, input, current, 'failed', 'the event no longer exists');

  let lease: Awaited<ReturnType<typeof acquire>> = 'busy';
  // A manual attempt may hold the lease; it ends within one attempt timeout (or its lease expires).
  for (let waited = 0; waited <= deps.attemptTimeoutMs + LEASE_MARGIN_MS; waited += 250) {
    lease = await acquire(
      deps,
      tenantId,
      deliveryId,
      k === 1 ? 'initial' : 'automatic',
      (d) => d.automaticAttempts < k && d.status !== 'succeeded',
      // The row read above, on the first try only: a wait for the lease means it has changed.
      waited === 0 ? current : undefined,
    );
    if (lease !== 'busy') break;
    await sleep(250);
  }
  if (lease === 'busy') throw new Error(`delivery ${deliveryId}: the in-flight lease was not released`);
  if (lease === 'refused') {
    const again = await readDelivery(deps, tenantId, deliveryId);
    return again?.value.lastAutomaticOutcome ?? { kind: 'stopped', reason: 'already succeeded' };
  }
  const trigger: AttemptTrigger = k === 1 ? 'initial' : 'automatic';
  const at = nowMs();
  const result = await sendAttempt(deps, sub.value, deliveryId, event.body, event.type, lease.n, trigger);
  const logged = await recordAttempt(deps, tenantId, lease.delivery, lease.n, trigger, at, result);
  const outcome = automaticOutcomeOf(result, k);
  const settled = await changeDelivery(
    deps,
    tenantId,
    deliveryId,
    // The row as the lease wrote it: while the lease is held nobody else changes the delivery.
    (d) => withAutomaticOutcome(d, k, lease.n, outcome),
    lease.delivery,
    logRow(lease.delivery, logged),
  );
  noteGaveUp(tenantId, current.value.subscriptionId, deliveryId, outcome, result, settled?.value.status);
  return outcome;
}

/** What an automatic attempt's result means for the schedule. */
export function automaticOutcomeOf(result: SendResult, k: number): AutomaticOutcome {
  return succeeded(result)
    ? { kind: 'succeeded' }
    : result.statusCode === 410
      ? { kind: 'gone' }
      : k >= MAX_AUTOMATIC_ATTEMPTS
        ? { kind: 'failed' }
        : { kind: 'retry', ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) };
}

/** The delivery after automatic attempt `k` (attempt number `n`) ended with `outcome`; the lease is freed. */
export function withAutomaticOutcome(
  d: DeliveryRecord,
  k: number,
  n: number,
  outcome: AutomaticOutcome,
): DeliveryRecord {
  const next: DeliveryRecord = { ...d, automaticAttempts: k, lastAutomaticOutcome: outcome, lastAutomaticN: n };
  delete next.inFlight;
  delete next.nextAttemptAt;
  if (d.status === 'succeeded') return next; // a manual retry won meanwhile; keep it
  if (outcome.kind === 'succeeded') {
    next.status = 'succeeded';
    delete next.statusReason;
  } else if (outcome.kind === 'gone') {
    next.status = 'failed';
    next.statusReason = 'the endpoint answered 410 Gone; the subscription was disabled';
  } else if (outcome.kind === 'failed') {
    next.status = 'failed';
    next.statusReason = `${MAX_AUTOMATIC_ATTEMPTS} automatic attempts failed`;
  } else {
    next.status = 'retrying';
  }
  return next;
}

/** Telemetry for a delivery that ended `failed` by its automatic attempts (exhausted or 410). */
export function noteGaveUp(
  tenantId: string,
  subscriptionId: string,
  deliveryId: string,
  outcome: AutomaticOutcome,
  result: SendResult,
  status: DeliveryRecord['status'] | undefined,
): void {
  if ((outcome.kind !== 'failed' && outcome.kind !== 'gone') || status !== 'failed') return;
  const { code, catalogCode } = attemptCodes(result);
  recordDeliveryGaveUp({
    tenantId,
    subscriptionId,
    deliveryId,
    reason: outcome.kind === 'gone' ? 'gone' : 'attempts_exhausted',
    code,
    catalogCode,
  });
}

/** The orchestration decided when the next attempt runs: shown on the delivery and its last attempt. */
export async function recordNextAttempt(
  deps: OutboundDeps,
  input: { tenantId: string; deliveryId: string; nextAttemptAt: string },
): Promise<void> {
  const updated = await changeDelivery(deps, input.tenantId, input.deliveryId, (d) =>
    d.status === 'retrying' ? { ...d, nextAttemptAt: input.nextAttemptAt } : undefined,
  );
  const n = updated?.value.lastAutomaticN;
  if (n === undefined) return;
  const withNext = (a: AttemptRecord | undefined) => (a ? { ...a, nextAttemptAt: input.nextAttemptAt } : undefined);
  if (updated?.value.keys === 'row') {
    await deps.tables.deliveryLog.update(
      dayPartition(input.tenantId, input.deliveryId),
      attemptLogRowKey(input.deliveryId, n),
      withNext,
    );
  } else {
    await deps.tables.attempts.update(attemptsPartition(input.tenantId, input.deliveryId), attemptRowKey(n), withNext);
  }
}

/**
 * One manual attempt now (POST /deliveries/{id}/retry): outside the schedule, marked `manual`, not
 * counted among the five automatic attempts. Allowed in every state but while another attempt is
 * in flight (409) or the subscription is disabled (409: re-enable it first). A success ends the
 * schedule (the orchestration re-reads the delivery before its next attempt).
 */
export async function runManualAttempt(
  deps: OutboundDeps,
  tenantId: string,
  deliveryId: string,
): Promise<{ attempt: AttemptView; status: DeliveryRecord['status'] }> {
  const current = await readDelivery(deps, tenantId, deliveryId);
  if (!current) throw new ResourceNotFoundError('delivery', deliveryId);
  const sub = await deps.tables.subscriptions.get(tenantId, current.value.subscriptionId);
  if (!sub) throw new DomainError('conflict', 'The subscription of this delivery was deleted.', { deliveryId });
  if (!sub.value.enabled) {
    throw new DomainError('subscription_disabled', 'The subscription is disabled; enable it before retrying.', {
      subscriptionId: current.value.subscriptionId,
      disabledReason: sub.value.disabledReason ?? null,
    });
  }
  if (current.value.payloadErasedAt) {
    throw new DomainError('payload_erased', "This delivery's payload was erased, so it cannot be sent again.", {
      deliveryId,
    });
  }
  const event = await loadEventBody(deps, tenantId, current.value);
  if (!event) throw new DomainError('conflict', 'The event of this delivery no longer exists.', { deliveryId });
  const lease = await acquire(deps, tenantId, deliveryId, 'manual', () => true, current);
  if (lease === 'busy' || lease === 'refused') {
    throw new DomainError('attempt_in_flight', 'An attempt of this delivery is being sent; try again shortly.', {
      deliveryId,
    });
  }
  const at = nowMs();
  const result = await sendAttempt(deps, sub.value, deliveryId, event.body, event.type, lease.n, 'manual');
  const record = await recordAttempt(deps, tenantId, lease.delivery, lease.n, 'manual', at, result);
  const ok = succeeded(result);
  const after = await changeDelivery(
    deps,
    tenantId,
    deliveryId,
    (d) => {
      const next: DeliveryRecord = { ...d };
      delete next.inFlight;
      if (ok) {
        next.status = 'succeeded';
        delete next.statusReason;
        delete next.nextAttemptAt;
      } else if (d.status === 'skipped' || d.status === 'failed') {
        next.status = 'failed';
        next.statusReason = `manual attempt ${lease.n} failed`;
      }
      return next;
    },
    lease.delivery,
    logRow(lease.delivery, record),
  );
  return {
    attempt: attemptView(record, true),
    status: after?.value.status ?? current.value.status,
  };
}

/** A failed attempt as the failure group the dashboard lists (its counter is written above). */
function attemptFailure(tenantId: string, delivery: Stored<DeliveryRecord>, result: SendResult): Transaction {
  return {
    tenantId,
    type: 'outbound_webhook',
    integrationId: delivery.value.subscriptionId,
    ok: false,
    code: result.code,
    description: result.error ?? `The receiver answered HTTP ${result.code}.`,
    service: 'delivery',
    example: { kind: 'delivery', id: delivery.rowKey },
  };
}
