import { createHash } from 'node:crypto';
import type { Transaction } from '../analytics/transactions';
import type { BusSender } from '../bus/port';
import { nowMs } from '../clock';
import { DomainError, isDomainError } from '../errors/domain-error';
import { claimDedupKey, createEvent, loadEvent } from '../events/event-store';
import { enqueueValidation } from '../events/stage-messages';
import { recordRejection } from '../failures/analysis';
import { crashPoint } from '../faults/crash-points';
import { errorMapping } from '../http/error-table';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../http/request-parsing';
import type { Logger } from '../observability/logger';
import { annotateActiveSpan } from '../observability/telemetry';
import { newestFirstId } from '../storage/keys';
import { readGraphLifecycle } from '../vendors/microsoft365/subscriptions';
import { recordGraphLifecycle } from './graph-lifecycle';
import { releaseHeldEvent } from './held-events';
import { storableBody } from './secret-redaction';
import type { InboundTables } from './tables';
import type { InboundLimits } from './tenant-limits';
import { type Headers, verifyDelivery } from './verify';
import { confirmPaused, resolveWebhook } from './webhooks';

/**
 * `POST /api/hooks/{webhookId}` (docs/design.md §6.2, §6.9): the order is the contract — unknown or
 * disabled id → 404 and oversize → 413 before any work; signature (over the raw bytes); JSON;
 * secrets masked; dedup on signed content; then the event row and the validation message before
 * the 202. Writes: one conditional
 * dedup insert, the event row, one queue send, and a blob only for a body over 32 KiB.
 */
export interface ReceiveDeps {
  webhooks: InboundTables['webhooks'];
  /** Where Graph lifecycle notifications leave work for the renewal timer (graph-lifecycle.ts). */
  renewals?: InboundTables['renewals'];
  bus: () => BusSender;
  tenantIsActive: (tenantId: string) => Promise<boolean>;
  /** A deleted integration's webhooks stop at once (its registration stays, answering 404). */
  integrationIsLive: (tenantId: string, integrationId: string) => Promise<boolean>;
  maxBodyBytes: number;
  toleranceSeconds: number;
  /** Per-tenant rate and daily quota (tenant-limits.ts); none in tests that do not exercise them. */
  limits?: InboundLimits;
  /** Counts a delivery refused at receive as a failed inbound_webhook transaction. */
  countRejection?: (tx: Transaction) => Promise<void>;
  /** Counts an event held by a paused webhook (the dashboard's `inboundHeld`); never throws. */
  countHeld?: (tenantId: string, webhookId: string) => Promise<void>;
}

export interface ReceiveRequest {
  webhookId: string;
  headers: Headers;
  query: URLSearchParams;
  /**
   * The raw bytes as read (never decoded and re-encoded: signatures cover these), or undefined when
   * the declared length alone is over the limit.
   */
  body: Uint8Array | undefined;
  declaredLength: number | undefined;
  correlationId: string;
  log: Logger;
}

export type ReceiveResult =
  | { status: 202; body: { eventId: string } }
  | { status: 200; body: { duplicate: true; eventId: string } }
  | { status: 200; text: string }
  | { status: 202; body: { lifecycle: number } };

/** Crash points of the receive path (docs/pipeline.md). */
export const RECEIVE_CRASH_POINTS = {
  afterDedup: 'inbound.receive.after-dedup',
  afterEventRow: 'inbound.receive.after-event-row',
  afterEnqueue: 'inbound.receive.after-enqueue',
} as const;

const notFound = (id: string) =>
  new DomainError('webhook_not_found', `No active webhook with id "${id}" exists.`, { webhookId: id });

export function tooLarge(limit: number): DomainError {
  return new DomainError('payload_too_large', `Webhook bodies are limited to ${limit} bytes.`, { limitBytes: limit });
}

/**
 * What makes two deliveries one event (docs/webhooks-receiving.md, "Dedup and replay"). Only signed
 * or secret-bearing content counts, never an unsigned header: Autotask's `Guid:SequenceNumber`
 * (in the signed body); Standard Webhooks' `webhook-id` (signed with the body); else the SHA-256
 * of the exact bytes the signature covers; for schemes that sign nothing (Graph's clientState,
 * Halo's Basic password) the SHA-256 of the body's canonical JSON, so re-spacing or re-ordering a
 * captured body does not make a new event either.
 */
export function dedupKeyOf(
  source: string,
  parsed: unknown,
  verdict: { deliveryId?: string; signedSha256?: string },
): string {
  if (source === 'autotask' && typeof parsed === 'object' && parsed !== null) {
    const p = parsed as { Guid?: unknown; SequenceNumber?: unknown };
    if (p.Guid !== undefined && p.SequenceNumber !== undefined)
      return `autotask:${String(p.Guid)}:${String(p.SequenceNumber)}`;
  }
  if (verdict.deliveryId) return `id:${verdict.deliveryId}`;
  if (verdict.signedSha256) return `sha256:${verdict.signedSha256}`;
  return `json:${createHash('sha256').update(canonicalJson(parsed), 'utf8').digest('hex')}`;
}

/** JSON with object keys sorted at every level (the input is parsed JSON, depth already bounded). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export async function receiveWebhook(deps: ReceiveDeps, req: ReceiveRequest): Promise<ReceiveResult> {
  const hook = await resolveWebhook(deps.webhooks, req.webhookId);
  // An id nobody owns has no tenant to count the refusal for; every other refusal is counted.
  if (!hook) throw notFound(req.webhookId);
  try {
    return await receiveForHook(deps, req, hook);
  } catch (error) {
    await deps.countRejection?.(rejectionTransaction(hook, error));
    throw error;
  }
}

/** A refused delivery as its inbound_webhook transaction: the status it got, or 882/883 (docs/dashboard.md). */
function rejectionTransaction(hook: { tenantId: string; id: string }, error: unknown): Transaction {
  const code = isDomainError(error)
    ? error.code === 'tenant_rate_exceeded'
      ? '882'
      : error.code === 'tenant_quota_exceeded'
        ? '883'
        : String(errorMapping(error.code).status)
    : '500';
  return {
    tenantId: hook.tenantId,
    type: 'inbound_webhook',
    integrationId: hook.id,
    ok: false,
    code,
    description: error instanceof Error ? error.message : 'The delivery was refused.',
    service: 'receive',
  };
}

async function receiveForHook(
  deps: ReceiveDeps,
  req: ReceiveRequest,
  hook: NonNullable<Awaited<ReturnType<typeof resolveWebhook>>>,
): Promise<ReceiveResult> {
  if (!hook.active || !(await deps.tenantIsActive(hook.tenantId))) throw notFound(req.webhookId);
  annotateActiveSpan({ tenantId: hook.tenantId, integrationId: hook.integrationId ?? undefined, vendor: hook.source });
  if (hook.integrationId && !(await deps.integrationIsLive(hook.tenantId, hook.integrationId))) {
    throw notFound(req.webhookId);
  }
  if ((req.declaredLength ?? 0) > deps.maxBodyBytes || !req.body || req.body.byteLength > deps.maxBodyBytes) {
    throw tooLarge(deps.maxBodyBytes);
  }
  await deps.limits?.take(hook.tenantId);
  // A view, not a copy: Buffer's helpers over the same bytes.
  const body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);

  // Graph's subscription handshake: echo the token, as text, and nothing else (no event).
  const validationToken = req.query.get('validationToken');
  if (hook.source === 'microsoft365' && validationToken !== null) {
    return { status: 200, text: validationToken };
  }

  const text = body.toString('utf8');
  const reject = async (code: string, detail: string) => {
    await recordRejection({
      tenantId: hook.tenantId,
      webhookId: hook.id,
      source: hook.source,
      code,
      detail,
      body,
      correlationId: req.correlationId,
    }).catch((error: unknown) => req.log.warn('rejection not recorded', { error: String(error) }));
  };
  let parsed: unknown;
  let parseError: string | undefined;
  // Nesting deeper than any vendor payload is refused like malformed JSON: parsing it (and every
  // later stage walking it) would cost far more than the 1 MiB limit suggests.
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    parseError = `nested deeper than ${MAX_JSON_DEPTH} levels`;
  } else {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      parseError = error instanceof Error ? error.message : String(error);
    }
  }
  // Graph's clientState lives in the body, so only there is JSON read before the check.
  if (parseError === undefined || hook.source !== 'microsoft365') {
    const verdict = verifyDelivery(
      hook.source,
      req.headers,
      body,
      parsed,
      hook.secrets,
      nowMs(),
      deps.toleranceSeconds,
    );
    if (!verdict.ok) {
      await reject(verdict.code, verdict.detail);
      throw new DomainError(verdict.code, verdict.detail);
    }
    if (parseError === undefined) {
      // Graph's lifecycle notifications (same URL, same clientState) are about the subscription,
      // not changes: recorded on the registration, never an event.
      const lifecycle = hook.source === 'microsoft365' ? readGraphLifecycle(parsed) : undefined;
      if (lifecycle && deps.renewals) {
        const { recorded } = await recordGraphLifecycle(
          { webhooks: deps.webhooks, renewals: deps.renewals },
          hook.tenantId,
          hook.id,
          lifecycle,
        );
        return { status: 202, body: { lifecycle: recorded } };
      }
      return accept(deps, req, hook, text, parsed, verdict);
    }
  }
  await reject('malformed_json', `The body is not JSON: ${parseError}`);
  throw new DomainError('malformed_json', 'The webhook body is not valid JSON.');
}

async function accept(
  deps: ReceiveDeps,
  req: ReceiveRequest,
  hook: NonNullable<Awaited<ReturnType<typeof resolveWebhook>>>,
  text: string,
  parsed: unknown,
  verdict: { deliveryId?: string; signedSha256?: string },
): Promise<ReceiveResult> {
  // From here on only the masked body exists: nothing stored or derived holds a webhook secret.
  const stored = storableBody(text, parsed, hook.secrets);
  const dedupKey = dedupKeyOf(hook.source, stored.parsed, verdict);
  // Paused by the cache's word only: confirmed from the row (a resume elsewhere may be newer).
  const paused = hook.paused && (await confirmPaused(deps.webhooks, hook.id));
  const claim = await claimDedupKey(hook.tenantId, hook.id, dedupKey, newestFirstId());
  crashPoint(RECEIVE_CRASH_POINTS.afterDedup);
  if (!claim.claimed) {
    const existing = await loadEvent(hook.tenantId, claim.eventId);
    if (existing) {
      // Its first receiver may have died before enqueuing: send again (duplicate detection drops
      // the copy when it had been sent).
      if (existing.status === 'received' && !paused)
        await enqueueValidation(deps, hook.tenantId, existing.id, hook.source, existing.correlationId);
      return { status: 200, body: { duplicate: true, eventId: existing.id } };
    }
    // Claimed by a receiver that died before storing the event: store it under the claimed id.
  }
  const { created, view } = await createEvent({
    eventId: claim.eventId,
    tenantId: hook.tenantId,
    source: hook.source,
    webhookId: hook.id,
    integrationId: hook.integrationId,
    trigger: 'vendor',
    replayOf: null,
    correlationId: req.correlationId,
    dedupKey,
    bodyText: stored.text,
    ...(paused ? { status: 'held' as const } : {}),
  });
  crashPoint(RECEIVE_CRASH_POINTS.afterEventRow);
  // A resume that walked the held events before this row existed would leave it held until the
  // next resume: read the flag once more and release it here if the webhook is no longer paused.
  if (view.status === 'held' && created) {
    if (!(await confirmPaused(deps.webhooks, hook.id))) await releaseHeldEvent(deps, hook.tenantId, hook.id, view.id);
    else await deps.countHeld?.(hook.tenantId, hook.id);
  }
  // Paused: stored and verified, processed when the webhook is resumed (held-events.ts).
  if (view.status !== 'held') await enqueueValidation(deps, hook.tenantId, view.id, hook.source, view.correlationId);
  crashPoint(RECEIVE_CRASH_POINTS.afterEnqueue);
  return created
    ? { status: 202, body: { eventId: view.id } }
    : { status: 200, body: { duplicate: true, eventId: view.id } };
}
