import type { Principal } from '../apikeys/principal';
import { recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import { assertOutboundUrlAllowed } from '../net/guard';
import { newestFirstId } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { OutboundDeps } from './deps';
import { generateSigningSecret } from './signing';
import { type EndpointHealthRecord, type ReleaseTask, releaseTaskRowKey, type SubscriptionRecord } from './tables';
import { attemptTotals } from './totals';

/** Longest overlap after a rotation during which the previous secret still signs (docs/design.md §8.4: 24 h). */
export const MAX_ROTATION_OVERLAP_HOURS = 24;
/** The highest per-subscription rate limit (throttle.ts). */
export const MAX_RATE_LIMIT_PER_SECOND = 1_000;

export interface EndpointHealthView {
  /** Attempts and successes over the last 7 days (analytics counters). */
  attempts: number;
  successes: number;
  successRate: number | null;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  failingSince: string | null;
  /** Deliveries held by a pause, and sends that waited for the rate limit or a 429, over the same 7 days. */
  held: number;
  throttled: number;
}

export function endpointHealthView(
  h: EndpointHealthRecord | undefined,
  totals: { attempts: number; successes: number; held?: number; throttled?: number },
): EndpointHealthView {
  return {
    attempts: totals.attempts,
    successes: totals.successes,
    held: totals.held ?? 0,
    throttled: totals.throttled ?? 0,
    successRate: totals.attempts > 0 ? Math.round((totals.successes / totals.attempts) * 10_000) / 10_000 : null,
    consecutiveFailures: h?.consecutiveFailures ?? 0,
    lastSuccessAt: h?.lastSuccessAt ?? null,
    lastFailureAt: h?.lastFailureAt ?? null,
    failingSince: h?.failingSince ?? null,
  };
}

/** The last release of held deliveries after a resume (pause.ts): its state and progress. */
export interface ReleaseView {
  state: ReleaseTask['state'];
  released: number;
  succeeded: number;
  startedAt: string;
  finishedAt: string | null;
}

function releaseView(task: ReleaseTask | undefined): ReleaseView | null {
  if (!task) return null;
  return {
    state: task.state,
    released: task.released,
    succeeded: task.succeeded,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt ?? null,
  };
}

export interface SubscriptionView {
  id: string;
  url: string;
  eventTypes: string[];
  products: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** Paused: deliveries are held and sent in order on resume (pause.ts). */
  paused: boolean;
  pausedAt: string | null;
  rateLimitPerSecond: number | null;
  slowUntil: string | null;
  release: ReleaseView | null;
  description: string;
  headers: Record<string, string>;
  /** While a rotation overlaps: until when the previous secret still signs. */
  previousSecretExpiresAt: string | null;
  secretRotatedAt: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  health: EndpointHealthView;
}

interface ViewParts {
  health: EndpointHealthView;
  release: ReleaseView | null;
  slowUntil?: string | undefined;
}

/** The read parts of a view: the streak row, the 7-day counter totals and the last release. */
async function healthOf(deps: OutboundDeps, tenantId: string, id: string): Promise<ViewParts> {
  const [row, totals, task] = await Promise.all([
    deps.tables.health.get(tenantId, id),
    attemptTotals(deps, tenantId, id),
    deps.tables.tasks.get(tenantId, releaseTaskRowKey(id)),
  ]);
  return {
    health: endpointHealthView(row?.value, totals),
    release: releaseView(task?.value),
    slowUntil: row?.value.slowUntil,
  };
}

function toView(stored: Stored<SubscriptionRecord>, { health, release, slowUntil }: ViewParts): SubscriptionView {
  const v = stored.value;
  const overlap = v.previousSecretExpiresAt && Date.parse(v.previousSecretExpiresAt) > nowMs();
  return {
    id: stored.rowKey,
    url: v.url,
    eventTypes: v.eventTypes,
    products: v.products,
    enabled: v.enabled,
    disabledReason: v.disabledReason ?? null,
    disabledAt: v.disabledAt ?? null,
    // Resuming (pause.ts) reads as resumed: only the release still holds what is published.
    paused: v.paused === true && v.resuming !== true,
    pausedAt: v.paused === true && v.resuming !== true ? (v.pausedAt ?? null) : null,
    rateLimitPerSecond: v.rateLimitPerSecond ?? null,
    slowUntil: slowUntil && Date.parse(slowUntil) > nowMs() ? slowUntil : null,
    release,
    description: v.description,
    headers: v.headers,
    previousSecretExpiresAt: overlap ? (v.previousSecretExpiresAt ?? null) : null,
    secretRotatedAt: v.secretRotatedAt,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    createdBy: v.createdBy,
    health,
  };
}

async function checkUrl(deps: OutboundDeps, url: string): Promise<void> {
  await assertOutboundUrlAllowed(url, deps.policy, deps.dnsLookup ? { lookup: deps.dnsLookup } : {});
}

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
  products?: string[] | undefined;
  description?: string | undefined;
  headers?: Record<string, string> | undefined;
  enabled?: boolean | undefined;
  rateLimitPerSecond?: number | null | undefined;
}

export async function createSubscription(
  deps: OutboundDeps,
  caller: Principal,
  input: SubscriptionInput,
  correlationId: string,
  /** Fixed by an Idempotency-Key: a retry's insert then conflicts instead of subscribing twice. */
  id: string = newestFirstId(),
): Promise<SubscriptionView & { secret: string }> {
  await checkUrl(deps, input.url);
  const secret = generateSigningSecret();
  const at = new Date(nowMs()).toISOString();
  const record: SubscriptionRecord = {
    url: input.url,
    eventTypes: [...new Set(input.eventTypes)],
    products: [...new Set(input.products ?? [])],
    enabled: input.enabled ?? true,
    description: input.description ?? '',
    headers: input.headers ?? {},
    ...(input.rateLimitPerSecond ? { rateLimitPerSecond: input.rateLimitPerSecond } : {}),
    encryptedSecret: await deps.cipher.encryptJson(secret),
    createdAt: at,
    updatedAt: at,
    createdBy: caller.keyId,
    secretRotatedAt: at,
  };
  const stored = await deps.tables.subscriptions.insert(caller.tenantId, id, record);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'subscription.created',
    actorKeyId: caller.keyId,
    targetType: 'subscription',
    targetId: id,
    correlationId,
  });
  return {
    ...toView(stored, { health: endpointHealthView(undefined, { attempts: 0, successes: 0 }), release: null }),
    secret,
  };
}

async function load(deps: OutboundDeps, tenantId: string, id: string): Promise<Stored<SubscriptionRecord>> {
  const stored = await deps.tables.subscriptions.get(tenantId, id);
  if (!stored) throw new ResourceNotFoundError('subscription', id);
  return stored;
}

export async function getSubscription(deps: OutboundDeps, tenantId: string, id: string): Promise<SubscriptionView> {
  const stored = await load(deps, tenantId, id);
  return toView(stored, await healthOf(deps, tenantId, id));
}

export async function listSubscriptions(
  deps: OutboundDeps,
  tenantId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: SubscriptionView[]; nextCursor: string | null }> {
  const result = await deps.tables.subscriptions.list(tenantId, {
    limit: page.limit,
    ...(page.cursor ? { cursor: page.cursor } : {}),
  });
  const items = await Promise.all(result.items.map(async (s) => toView(s, await healthOf(deps, tenantId, s.rowKey))));
  return { items, nextCursor: result.nextCursor };
}

export type SubscriptionPatch = Partial<SubscriptionInput>;

export async function updateSubscription(
  deps: OutboundDeps,
  caller: Principal,
  id: string,
  patch: SubscriptionPatch,
  correlationId: string,
): Promise<SubscriptionView> {
  await load(deps, caller.tenantId, id);
  if (patch.url !== undefined) await checkUrl(deps, patch.url);
  let reEnabled = false;
  const updated = await deps.tables.subscriptions.update(caller.tenantId, id, (current) => {
    if (!current) throw new ResourceNotFoundError('subscription', id);
    const next: SubscriptionRecord = { ...current, updatedAt: new Date(nowMs()).toISOString() };
    if (patch.url !== undefined) next.url = patch.url;
    if (patch.eventTypes !== undefined) next.eventTypes = [...new Set(patch.eventTypes)];
    if (patch.products !== undefined) next.products = [...new Set(patch.products)];
    if (patch.description !== undefined) next.description = patch.description;
    if (patch.headers !== undefined) next.headers = patch.headers;
    if (patch.rateLimitPerSecond === null) delete next.rateLimitPerSecond;
    else if (patch.rateLimitPerSecond !== undefined) next.rateLimitPerSecond = patch.rateLimitPerSecond;
    if (patch.enabled !== undefined) {
      reEnabled = patch.enabled && !current.enabled;
      next.enabled = patch.enabled;
      if (patch.enabled) {
        delete next.disabledReason;
        delete next.disabledAt;
      } else {
        next.disabledReason = 'disabled by an administrator';
        next.disabledAt = next.updatedAt;
      }
    }
    return next;
  });
  if (!updated) throw new ResourceNotFoundError('subscription', id);
  if (reEnabled) {
    // A fresh start: the failure streak that disabled it must not disable it again at once.
    await deps.tables.health.update(caller.tenantId, id, (h) =>
      h ? { ...h, consecutiveFailures: 0, failingSince: undefined } : undefined,
    );
  }
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'subscription.updated',
    actorKeyId: caller.keyId,
    targetType: 'subscription',
    targetId: id,
    correlationId,
    details: { fields: Object.keys(patch).sort().join(' ') },
  });
  return toView(updated, await healthOf(deps, caller.tenantId, id));
}

export async function deleteSubscription(
  deps: OutboundDeps,
  caller: Principal,
  id: string,
  correlationId: string,
): Promise<void> {
  await load(deps, caller.tenantId, id);
  // The secret goes with the row at once (docs/design.md §12); in-flight deliveries stop at their next re-read.
  await deps.tables.subscriptions.delete(caller.tenantId, id);
  await deps.tables.health.delete(caller.tenantId, id);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'subscription.deleted',
    actorKeyId: caller.keyId,
    targetType: 'subscription',
    targetId: id,
    correlationId,
  });
}

/**
 * A new signing secret, returned once. The previous one keeps signing (both signatures are sent)
 * for `overlapHours` (0-24), so receivers can switch without dropping a delivery.
 */
export async function rotateSubscriptionSecret(
  deps: OutboundDeps,
  caller: Principal,
  id: string,
  overlapHours: number,
  correlationId: string,
): Promise<SubscriptionView & { secret: string }> {
  if (overlapHours < 0 || overlapHours > MAX_ROTATION_OVERLAP_HOURS) {
    throw new DomainError('validation_failed', `overlapHours must be between 0 and ${MAX_ROTATION_OVERLAP_HOURS}.`, {
      errors: [{ path: 'overlapHours', message: `0-${MAX_ROTATION_OVERLAP_HOURS}` }],
    });
  }
  await load(deps, caller.tenantId, id);
  const secret = generateSigningSecret();
  const sealed = await deps.cipher.encryptJson(secret);
  const at = nowMs();
  const updated = await deps.tables.subscriptions.update(caller.tenantId, id, (current) => {
    if (!current) throw new ResourceNotFoundError('subscription', id);
    const next: SubscriptionRecord = {
      ...current,
      encryptedSecret: sealed,
      secretRotatedAt: new Date(at).toISOString(),
      updatedAt: new Date(at).toISOString(),
    };
    if (overlapHours > 0) {
      next.encryptedPreviousSecret = current.encryptedSecret;
      next.previousSecretExpiresAt = new Date(at + overlapHours * 3_600_000).toISOString();
    } else {
      delete next.encryptedPreviousSecret;
      delete next.previousSecretExpiresAt;
    }
    return next;
  });
  if (!updated) throw new ResourceNotFoundError('subscription', id);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'subscription.secret_rotated',
    actorKeyId: caller.keyId,
    targetType: 'subscription',
    targetId: id,
    correlationId,
    details: { overlapHours },
  });
  return { ...toView(updated, await healthOf(deps, caller.tenantId, id)), secret };
}

/** The secrets that sign now, current first; opened at call time and never stored elsewhere. */
/**
 * Opened signing secrets, by their Fernet token, for a minute: a busy subscription's attempts then
 * skip the decryption (~15 µs each, bench/outbound). Keyed by the token, so a rotation (a new
 * token) or a re-encryption never reads a stale entry; bounded, and never written anywhere.
 */
const OPENED_SECRET_TTL_MS = 60_000;
const OPENED_SECRET_MAX = 1_000;
const opened = new Map<string, { secret: string; untilMs: number }>();

async function openSecret(deps: OutboundDeps, token: string): Promise<string> {
  const now = nowMs();
  const hit = opened.get(token);
  if (hit && hit.untilMs > now) return hit.secret;
  const secret = String(await deps.cipher.decryptJson(token));
  if (opened.size >= OPENED_SECRET_MAX) opened.delete(opened.keys().next().value as string);
  opened.set(token, { secret, untilMs: now + OPENED_SECRET_TTL_MS });
  return secret;
}

export async function signingSecrets(deps: OutboundDeps, record: SubscriptionRecord): Promise<[string, ...string[]]> {
  const current = await openSecret(deps, record.encryptedSecret);
  const previousValid =
    record.encryptedPreviousSecret &&
    record.previousSecretExpiresAt &&
    Date.parse(record.previousSecretExpiresAt) > nowMs();
  if (!previousValid || !record.encryptedPreviousSecret) return [current];
  return [current, await openSecret(deps, record.encryptedPreviousSecret)];
}

/** Turn a subscription off with a reason (410 Gone, a long failure streak); idempotent. */
export async function disableSubscription(
  deps: OutboundDeps,
  tenantId: string,
  id: string,
  reason: string,
): Promise<boolean> {
  let changed = false;
  await deps.tables.subscriptions.update(tenantId, id, (current) => {
    changed = false; // a lost race re-runs this: only the round that wrote counts
    if (!current?.enabled) return undefined;
    changed = true;
    const at = new Date(nowMs()).toISOString();
    return { ...current, enabled: false, disabledReason: reason, disabledAt: at, updatedAt: at };
  });
  if (changed) {
    await recordAudit(deps.audit, tenantId, {
      action: 'subscription.disabled',
      actorKeyId: 'system',
      targetType: 'subscription',
      targetId: id,
      details: { reason },
    });
  }
  return changed;
}
