import type { Counters } from '../analytics/counters';
import { countTransactionNow } from '../analytics/deps';
import type { Transaction } from '../analytics/transactions';
import { type BusSender, complete, deadLetter, type ReceivedMessage, type Settlement } from '../bus/port';
import { retryOrDeadLetter } from '../bus/retry';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import type { Classification } from '../integrations/classify';
import { classifyFailure } from '../integrations/classify';
import type { IntegrationDeps } from '../integrations/deps';
import { dropOrphanProbeTarget, findIntegration } from '../integrations/directory';
import { openIntegrationSession } from '../integrations/integrations';
import { type ProbeRun, probeOnce } from '../integrations/probe-once';
import { connectorFor } from '../integrations/sessions';
import type { Logger } from '../observability/logger';
import { annotateActiveSpan, recordProbeStateChange } from '../observability/telemetry';
import { PROBE_STATES, type ProbeState } from '../observability/telemetry-names';
import { invertedTimeKey, newestFirstId, tenantPartition } from '../storage/keys';
import { PROBE_QUEUE, type ProbeMessage, probeAddress, probeMessageSchema } from './probe-message';
import {
  HISTORY_MS,
  nextTickAt,
  PROBE_BACKOFF,
  PROBE_TIMEOUT_MS,
  recentTransitions,
  STUCK_CHECKING_MS,
} from './schedule';
import type { ProbeStatusRow, ProbeTables } from './tables';
import { endpointKey, notSent, type TimeoutBreaker } from './timeout-breaker';

export interface ProbeDeps {
  health: ProbeTables;
  integrations: IntegrationDeps;
  counters: Counters;
  bus: BusSender;
  /** A disabled tenant's integrations are not probed (docs/design.md §2). */
  tenantIsActive(tenantId: string): Promise<boolean>;
  log: Logger;
  /** Fails probes of an endpoint that keeps timing out fast, so it cannot hold every handler slot. */
  breaker: TimeoutBreaker;
}

type Settled = 'connected' | 'disconnected' | 'needs_attention';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Claims the integration for this run: sets `checking` unless another run holds a fresh claim.
 * A claim older than STUCK_CHECKING_MS belongs to a run that crashed or hung; it is taken over.
 */
async function claim(deps: ProbeDeps, message: ProbeMessage, vendor: string): Promise<boolean> {
  const now = nowMs();
  let claimed = false;
  await deps.health.status.update(message.tenantId, message.integrationId, (current) => {
    claimed = false;
    const busy =
      current?.state === 'checking' &&
      current.runId !== message.runId &&
      current.checkingSince !== undefined &&
      Date.parse(current.checkingSince) > now - STUCK_CHECKING_MS;
    if (busy) return undefined;
    claimed = true;
    const base: ProbeStatusRow = current ?? { vendor, state: 'unknown', settledState: 'unknown', transitions: '[]' };
    const { retryAt: _retry, ...rest } = base;
    return {
      ...rest,
      vendor,
      state: 'checking',
      checkingSince: iso(now),
      runId: message.runId,
      attempt: message.attempt,
    };
  });
  return claimed;
}

/** Releases a claim without a verdict while a planned retry waits (so `checking` never looks stuck). */
async function release(deps: ProbeDeps, message: ProbeMessage, retryAtMs: number, c: Classification): Promise<void> {
  await deps.health.status.update(message.tenantId, message.integrationId, (current) => {
    if (!current || current.runId !== message.runId) return undefined;
    const { checkingSince: _c, ...rest } = current;
    return {
      ...rest,
      state: current.settledState,
      retryAt: iso(retryAtMs),
      ...(c.vendorStatus !== null ? { vendorStatus: c.vendorStatus } : {}),
      ...(c.vendorMessage !== null ? { vendorMessage: c.vendorMessage } : {}),
      ...(c.hint !== null ? { hint: c.hint } : {}),
      reason: c.reason,
    };
  });
}

function probeStateOf(state: string): ProbeState {
  return (PROBE_STATES as readonly string[]).includes(state) ? (state as ProbeState) : 'unknown';
}

async function settle(deps: ProbeDeps, message: ProbeMessage, vendor: string, run: ProbeRun): Promise<Settled> {
  const now = nowMs();
  const c = run.classification;
  const state = c.state as Settled;
  // The update may run again on an ETag conflict; the last run saw what was really replaced.
  let replaced: string = 'unknown';
  await deps.health.status.update(message.tenantId, message.integrationId, (current) => {
    const previous = current?.settledState ?? 'unknown';
    replaced = previous;
    const transitions = recentTransitions(current?.transitions, now);
    if (previous !== state && previous !== 'unknown') transitions.push(iso(now));
    const next: ProbeStatusRow = {
      vendor,
      state,
      settledState: state,
      lastCheckAt: iso(now),
      latencyMs: run.latencyMs,
      reason: c.reason,
      transitions: JSON.stringify(transitions),
      nextCheckAt: iso(nextTickAt(now)),
      attempt: message.attempt,
      runId: message.runId,
    };
    if (current?.lastSuccessAt) next.lastSuccessAt = current.lastSuccessAt;
    if (run.success) next.lastSuccessAt = iso(now);
    if (c.vendorStatus !== null) next.vendorStatus = c.vendorStatus;
    if (c.vendorMessage !== null) next.vendorMessage = c.vendorMessage;
    if (c.hint !== null) next.hint = c.hint;
    const quota = run.success?.quota;
    if (quota) next.quota = JSON.stringify(quota);
    else if (current?.quota) next.quota = current.quota;
    if (run.success?.expiries) next.expiries = JSON.stringify(run.success.expiries);
    return next;
  });
  await deps.health.history.insert(
    tenantPartition(message.tenantId, message.integrationId),
    `${invertedTimeKey(now)}-${newestFirstId(now).slice(10)}`,
    {
      at: iso(now),
      state,
      latencyMs: run.latencyMs,
      attempts: message.attempt + 1,
      reason: c.reason,
      trigger: message.trigger,
      ...(c.vendorStatus !== null ? { vendorStatus: c.vendorStatus } : {}),
      ...(c.vendorMessage !== null ? { vendorMessage: c.vendorMessage.slice(0, 1024) } : {}),
    },
  );
  await purgeOldHistory(deps, message, now);
  if (replaced !== state) {
    recordProbeStateChange({
      tenantId: message.tenantId,
      integrationId: message.integrationId,
      vendor,
      from: probeStateOf(replaced),
      to: state,
    });
  }
  return state;
}

/** History older than 24 h goes a few rows at a time, as probes write new ones. */
async function purgeOldHistory(deps: ProbeDeps, message: ProbeMessage, now: number): Promise<void> {
  const pk = tenantPartition(message.tenantId, message.integrationId);
  const page = await deps.health.history.list(pk, { rowKeyFrom: invertedTimeKey(now - HISTORY_MS), limit: 20 });
  await Promise.all(page.items.map((row) => deps.health.history.delete(pk, row.rowKey, row.etag).catch(() => false)));
}

/**
 * Handles one probe message: claim, call the vendor once, then either schedule the next attempt of
 * this run (5xx, timeouts, resets: backoff with jitter; 429: the vendor's Retry-After) or settle
 * the state. 401/403/404 settle `needs_attention` at once — exactly one vendor request.
 */
export async function handleProbeMessage(deps: ProbeDeps, received: ReceivedMessage): Promise<Settlement> {
  const parsed = probeMessageSchema.safeParse(received.body);
  if (!parsed.success) return deadLetter('invalid_message', `Not a probe message: ${parsed.error.issues[0]?.message}`);
  const message = parsed.data;
  annotateActiveSpan({ tenantId: message.tenantId, integrationId: message.integrationId });
  const correlationId = received.correlationId ?? message.runId;
  const log = deps.log.child({
    correlationId,
    tenantId: message.tenantId,
    integrationId: message.integrationId,
    operation: 'probe',
  });
  if (!(await deps.tenantIsActive(message.tenantId))) return complete;

  let opened: Awaited<ReturnType<typeof openIntegrationSession>>;
  try {
    opened = await openIntegrationSession(deps.integrations, message.tenantId, message.integrationId, correlationId, {
      timeoutMs: PROBE_TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof ResourceNotFoundError) {
      // Deleted since the fan-out: forget its status (and any index entry a crashed delete left)
      // instead of probing.
      await deps.health.status.delete(message.tenantId, message.integrationId);
      await dropOrphanProbeTarget(deps.integrations, message.tenantId, message.integrationId);
      return complete;
    }
    // The session could not open (e.g. undecryptable credentials): settle that as the probe result.
    const stored = await findIntegration(deps.integrations, message.tenantId, message.integrationId);
    if (!stored) throw error;
    const run: ProbeRun = { classification: classifyFailure(connectorFor(stored.vendor), error), latencyMs: 0 };
    if (!(await claim(deps, message, stored.vendor))) return complete;
    await finish(deps, message, stored.vendor, run, log);
    return complete;
  }
  const vendor = opened.record.vendor;
  if (!(await claim(deps, message, vendor))) {
    log.info('probe skipped: another run is checking', { vendor, runId: message.runId });
    return complete;
  }
  const endpoint = endpointKey(vendor, opened.session.config);
  const openForMs = deps.breaker.openFor(endpoint);
  const run: ProbeRun =
    openForMs > 0
      ? { classification: notSent(opened.connector.catalog.name, openForMs), latencyMs: 0 }
      : await probeOnce(opened.connector, opened.session);
  if (openForMs === 0) deps.breaker.record(endpoint, run.classification.reason);
  const advice = run.classification.retry;
  if (advice.kind !== 'none' && message.attempt < PROBE_BACKOFF.maxRetries) {
    // The planned-retry primitive schedules the next attempt of this run (backoff with jitter, or
    // the vendor's Retry-After); the last attempt settles below instead of dead-lettering, because
    // "the vendor is down" is a probe result, not a failed message.
    const decision = await retryOrDeadLetter(
      deps.bus,
      PROBE_QUEUE,
      probeAddress(message),
      (attempt) => ({ ...message, attempt }) satisfies ProbeMessage,
      {
        reason: run.classification.reason,
        description: run.classification.hint ?? 'probe failed',
        ...(advice.kind === 'retry-after' ? { retryAfterMs: advice.delayMs } : {}),
      },
      PROBE_BACKOFF,
    );
    if (decision.next) {
      await release(deps, message, decision.next.at.getTime(), run.classification);
      log.info('probe retry scheduled', {
        vendor,
        attempt: decision.next.attempt + 1,
        delayMs: decision.next.delayMs,
        status: run.classification.vendorStatus,
        reason: run.classification.reason,
      });
      return complete;
    }
  }
  await finish(deps, message, vendor, run, log);
  return complete;
}

async function finish(deps: ProbeDeps, message: ProbeMessage, vendor: string, run: ProbeRun, log: Logger) {
  const state = await settle(deps, message, vendor, run);
  const c = run.classification;
  await deps.counters.increment({
    tenantId: message.tenantId,
    integrationType: 'prebuilt_integration',
    integrationId: message.integrationId,
    outcome: `probe_${state}`,
    code: c.vendorStatus !== null ? String(c.vendorStatus) : c.reason,
  });
  await countTransactionNow(probeTransaction(message, vendor, run));
  // The one terminal line per probe run (docs/design.md §7.2).
  log.info('probe finished', {
    vendor,
    outcome: state,
    status: c.vendorStatus,
    reason: c.reason,
    attempts: message.attempt + 1,
    latencyMs: run.latencyMs,
    trigger: message.trigger,
  });
}

/** A probe run as the prebuilt_integration transaction it is: one vendor call, with its status. */
function probeTransaction(message: ProbeMessage, vendor: string, run: ProbeRun): Transaction {
  const c = run.classification;
  const ok = c.reason === 'ok' || c.reason === 'expiring';
  return {
    tenantId: message.tenantId,
    type: 'prebuilt_integration',
    integrationId: message.integrationId,
    ok,
    code: ok ? (c.vendorStatus ?? '-') : (c.vendorStatus ?? c.reason),
    description: c.hint ?? c.vendorMessage ?? c.reason,
    service: `probe:${vendor}`,
    example: { kind: 'probe', id: message.integrationId },
  };
}
