import { randomBytes } from 'node:crypto';
import type { Principal } from '../apikeys/principal';
import { credentialCipher } from '../app/process-cipher';
import { type AuditEntry, recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import type { TableRepository } from '../storage/table-repository';
import { type IngestFilter, parseStoredFilters } from './ingest-filter';
import { forgetIngestFilters } from './ingest-filter-cache';
import type { InboundTables, WebhookRecord } from './tables';
import { readRegistration, type VendorRegistration } from './vendor-registration';

/**
 * Webhook registrations (docs/design.md §6.1): a unique receive URL and a signing secret per integration,
 * both shown once; disable, delete, and secret rotation with a grace period in which the old and
 * the new secret both verify. The secret is kept Fernet-encrypted: the hub must recompute HMACs, so
 * a hash would not do.
 */
export interface WebhookDeps {
  tables: Pick<InboundTables, 'webhooks' | 'tenantWebhooks'>;
  audit: TableRepository<AuditEntry>;
  publicBaseUrl: string | undefined;
  /** Resolves an integration of the caller's tenant to its vendor; throws not_found otherwise. */
  integrationVendor: (caller: Principal, integrationId: string) => Promise<string>;
  /** Runs before a webhook row is deleted: removes what a push created at the vendor (vendor-push.ts). */
  beforeDelete?: (record: WebhookRecord, id: string, correlationId: string) => Promise<void>;
}

export interface WebhookView {
  id: string;
  url: string;
  integrationId: string | null;
  source: string;
  name: string;
  status: 'active' | 'disabled';
  /** Paused: deliveries are accepted and stored `held`, processed on resume. */
  paused: boolean;
  pausedAt: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  secretRotatedAt: string | null;
  /** While set and in the future, the previous secret still verifies. */
  previousSecretExpiresAt: string | null;
  /** What a push created at the vendor (ours to renew and delete), or null. */
  vendorRegistration: VendorRegistration | null;
  /** Ingest filters: events matching one end `filtered` (docs/pipeline.md, "Ingest filters"). */
  filters: IngestFilter[];
}

export const WEBHOOK_ROW = 'webhook';
/** Sources a webhook can have without an integration: senders that sign with our secret. */
export const GENERIC_SOURCE = 'generic';

/** docs/design.md §10.4: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function newWebhookId(): string {
  // Unguessable: the URL is public, and a guessed id would at least reach the signature check.
  return `wh_${randomBytes(18).toString('base64url')}`;
}

/** The webhook id an Idempotency-Key's 18 random bytes give: the same shape and strength as newWebhookId. */
export function webhookIdFromSeed(seed: string): string {
  return `wh_${seed}`;
}

export function receiveUrl(publicBaseUrl: string | undefined, id: string): string {
  return `${publicBaseUrl ?? ''}/api/hooks/${id}`;
}

function toView(deps: Pick<WebhookDeps, 'publicBaseUrl'>, id: string, r: WebhookRecord): WebhookView {
  return {
    id,
    url: receiveUrl(deps.publicBaseUrl, id),
    integrationId: r.integrationId,
    source: r.source,
    name: r.name,
    status: r.status,
    paused: r.paused === true,
    pausedAt: r.pausedAt ?? null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    createdBy: r.createdBy,
    secretRotatedAt: r.secretRotatedAt ?? null,
    previousSecretExpiresAt:
      r.previousSecretExpiresAt && Date.parse(r.previousSecretExpiresAt) > nowMs() ? r.previousSecretExpiresAt : null,
    vendorRegistration: readRegistration(r) ?? null,
    filters: parseStoredFilters(r.filters),
  };
}

export interface CreateWebhookInput {
  integrationId?: string | undefined;
  name?: string | undefined;
  filters?: IngestFilter[] | undefined;
}

export async function createWebhook(
  deps: WebhookDeps,
  caller: Principal,
  input: CreateWebhookInput,
  correlationId: string,
  /** Fixed by an Idempotency-Key (`webhookIdFromSeed`): a retry's insert conflicts instead of registering twice. */
  id: string = newWebhookId(),
): Promise<WebhookView & { secret: string }> {
  const source = input.integrationId ? await deps.integrationVendor(caller, input.integrationId) : GENERIC_SOURCE;
  const secret = newWebhookSecret();
  const at = new Date(nowMs()).toISOString();
  const record: WebhookRecord = {
    tenantId: caller.tenantId,
    integrationId: input.integrationId ?? null,
    source,
    name: input.name ?? `${source} webhook`,
    status: 'active',
    encryptedSecret: await credentialCipher().encryptJson({ secret }),
    createdAt: at,
    updatedAt: at,
    createdBy: caller.keyId,
    ...(input.filters && input.filters.length > 0 ? { filters: JSON.stringify(input.filters) } : {}),
  };
  // The list row first: a crash in between leaves a list entry that resolves to nothing and is
  // skipped, never a receivable webhook the tenant cannot see or delete.
  await deps.tables.tenantWebhooks.upsert(caller.tenantId, id, { createdAt: at });
  await deps.tables.webhooks.insert(id, WEBHOOK_ROW, record);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'webhook.created',
    actorKeyId: caller.keyId,
    targetType: 'webhook',
    targetId: id,
    correlationId,
    details: { source },
  });
  return { ...toView(deps, id, record), secret };
}

async function loadOwned(deps: WebhookDeps, caller: Principal, id: string) {
  const row = /^wh_[A-Za-z0-9_-]{24}$/.test(id) ? await deps.tables.webhooks.get(id, WEBHOOK_ROW) : undefined;
  if (!row || row.value.tenantId !== caller.tenantId) throw new ResourceNotFoundError('webhook', id);
  return row;
}

export async function getWebhook(deps: WebhookDeps, caller: Principal, id: string): Promise<WebhookView> {
  return toView(deps, id, (await loadOwned(deps, caller, id)).value);
}

export async function listWebhooks(
  deps: WebhookDeps,
  caller: Principal,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: WebhookView[]; nextCursor: string | null }> {
  const page = await deps.tables.tenantWebhooks.list(caller.tenantId, {
    limit: options.limit,
    cursor: options.cursor ?? null,
  });
  const rows = await Promise.all(page.items.map((i) => deps.tables.webhooks.get(i.rowKey, WEBHOOK_ROW)));
  const items: WebhookView[] = [];
  rows.forEach((row, n) => {
    if (row && row.value.tenantId === caller.tenantId) items.push(toView(deps, page.items[n]!.rowKey, row.value));
  });
  return { items, nextCursor: page.nextCursor };
}

export async function setWebhookStatus(
  deps: WebhookDeps,
  caller: Principal,
  id: string,
  status: 'active' | 'disabled',
  correlationId: string,
): Promise<WebhookView> {
  await loadOwned(deps, caller, id);
  const stored = await deps.tables.webhooks.update(id, WEBHOOK_ROW, (current) =>
    current ? { ...current, status, updatedAt: new Date(nowMs()).toISOString() } : undefined,
  );
  if (!stored) throw new ResourceNotFoundError('webhook', id);
  forgetWebhook(id);
  await recordAudit(deps.audit, caller.tenantId, {
    action: status === 'disabled' ? 'webhook.disabled' : 'webhook.enabled',
    actorKeyId: caller.keyId,
    targetType: 'webhook',
    targetId: id,
    correlationId,
  });
  return toView(deps, id, stored.value);
}

/**
 * Pause or resume receiving: the flag only (the resume's release of held events is
 * held-events.ts). Returns the view and, for a resume, when the pause began.
 */
export async function setWebhookPaused(
  deps: WebhookDeps,
  caller: Principal,
  id: string,
  paused: boolean,
  correlationId: string,
): Promise<{ view: WebhookView; pausedAt: string | null }> {
  await loadOwned(deps, caller, id);
  let pausedAt: string | null = null;
  const stored = await deps.tables.webhooks.update(id, WEBHOOK_ROW, (current) => {
    if (!current) return undefined;
    pausedAt = current.pausedAt ?? null;
    if ((current.paused === true) === paused) return undefined;
    const at = new Date(nowMs()).toISOString();
    const next: WebhookRecord = { ...current, paused, updatedAt: at };
    if (paused) next.pausedAt = at;
    else delete next.pausedAt;
    return next;
  });
  const row = stored ?? (await deps.tables.webhooks.get(id, WEBHOOK_ROW));
  if (!row) throw new ResourceNotFoundError('webhook', id);
  forgetWebhook(id);
  await recordAudit(deps.audit, caller.tenantId, {
    action: paused ? 'webhook.paused' : 'webhook.resumed',
    actorKeyId: caller.keyId,
    targetType: 'webhook',
    targetId: id,
    correlationId,
  });
  return { view: toView(deps, id, row.value), pausedAt };
}

export async function deleteWebhook(
  deps: WebhookDeps,
  caller: Principal,
  id: string,
  correlationId: string,
): Promise<void> {
  const owned = await loadOwned(deps, caller, id);
  // What we created at the vendor goes first: a vendor must not keep sending to a URL that is gone.
  await deps.beforeDelete?.(owned.value, id, correlationId);
  // The receivable row next: from here on deliveries answer 404.
  await deps.tables.webhooks.delete(id, WEBHOOK_ROW);
  await deps.tables.tenantWebhooks.delete(caller.tenantId, id);
  forgetWebhook(id);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'webhook.deleted',
    actorKeyId: caller.keyId,
    targetType: 'webhook',
    targetId: id,
    correlationId,
  });
}

/** Replaces the webhook's ingest filters (an empty list removes them); audited with the rule names. */
export async function setWebhookFilters(
  deps: WebhookDeps,
  caller: Principal,
  id: string,
  filters: IngestFilter[],
  correlationId: string,
): Promise<WebhookView> {
  await loadOwned(deps, caller, id);
  const stored = await deps.tables.webhooks.update(id, WEBHOOK_ROW, (current) => {
    if (!current) return undefined;
    const { filters: _old, ...rest } = current;
    return {
      ...rest,
      ...(filters.length > 0 ? { filters: JSON.stringify(filters) } : {}),
      updatedAt: new Date(nowMs()).toISOString(),
    };
  });
  if (!stored) throw new ResourceNotFoundError('webhook', id);
  forgetIngestFilters(id);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'webhook.filters_set',
    actorKeyId: caller.keyId,
    targetType: 'webhook',
    targetId: id,
    correlationId,
    details: { filters: filters.map((f) => f.name).join(', ') },
  });
  return toView(deps, id, stored.value);
}

export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** New secret now; the old one keeps verifying for `graceSeconds` (0 = revoked at once). */
export async function rotateWebhookSecret(
  deps: WebhookDeps,
  caller: Principal,
  id: string,
  graceSeconds: number,
  correlationId: string,
): Promise<WebhookView & { secret: string }> {
  if (!(graceSeconds >= 0 && graceSeconds <= MAX_GRACE_SECONDS)) {
    throw new DomainError('validation_failed', `graceSeconds must be between 0 and ${MAX_GRACE_SECONDS}.`);
  }
  await loadOwned(deps, caller, id);
  const secret = newWebhookSecret();
  const encrypted = await credentialCipher().encryptJson({ secret });
  const at = nowMs();
  const stored = await deps.tables.webhooks.update(id, WEBHOOK_ROW, (current) => {
    if (!current) return undefined;
    const { previousEncryptedSecret: _p, previousSecretExpiresAt: _e, ...rest } = current;
    return {
      ...rest,
      encryptedSecret: encrypted,
      ...(graceSeconds > 0
        ? {
            previousEncryptedSecret: current.encryptedSecret,
            previousSecretExpiresAt: new Date(at + graceSeconds * 1000).toISOString(),
          }
        : {}),
      secretRotatedAt: new Date(at).toISOString(),
      updatedAt: new Date(at).toISOString(),
    };
  });
  if (!stored) throw new ResourceNotFoundError('webhook', id);
  forgetWebhook(id);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'webhook.secret_rotated',
    actorKeyId: caller.keyId,
    targetType: 'webhook',
    targetId: id,
    correlationId,
    details: { graceSeconds },
  });
  return { ...toView(deps, id, stored.value), secret };
}

/** What the receive path needs of a registration: who owns it and which secrets verify now. */
export interface ResolvedWebhook {
  id: string;
  tenantId: string;
  integrationId: string | null;
  source: string;
  active: boolean;
  /** Deliveries are stored `held` and not processed (held-events.ts). */
  paused: boolean;
  secrets: string[];
}

/**
 * The receive path's view of registrations, cached for a few seconds per instance so a burst of
 * deliveries costs one read and one decryption. A change made on this instance is seen at once;
 * on others within RESOLVE_CACHE_MS (docs/pipeline.md).
 */
export const RESOLVE_CACHE_MS = 5_000;
const cache = new Map<string, { value: ResolvedWebhook | undefined; expiresAt: number }>();
const MAX_CACHED = 10_000;

export function forgetWebhook(id: string): void {
  cache.delete(id);
}

/**
 * Whether the webhook is paused now, from its row rather than this instance's cache: a resume made
 * on another instance is not in the cache for up to RESOLVE_CACHE_MS, and a delivery held on stale
 * news would wait for the next resume. Read only when the cache says paused (the rare path); a
 * resumed or missing row drops the cached entry.
 */
export async function confirmPaused(table: InboundTables['webhooks'], id: string): Promise<boolean> {
  const row = await table.get(id, WEBHOOK_ROW);
  const paused = row?.value.paused === true;
  if (!paused) forgetWebhook(id);
  return paused;
}

async function decryptSecret(token: string): Promise<string> {
  const value = (await credentialCipher().decryptJson(token)) as { secret?: unknown };
  if (typeof value.secret !== 'string') throw new Error('webhook secret token holds no secret');
  return value.secret;
}

export async function resolveWebhook(
  table: InboundTables['webhooks'],
  id: string,
): Promise<ResolvedWebhook | undefined> {
  const at = nowMs();
  const hit = cache.get(id);
  if (hit && hit.expiresAt > at) return hit.value;
  const row = /^wh_[A-Za-z0-9_-]{24}$/.test(id) ? await table.get(id, WEBHOOK_ROW) : undefined;
  let value: ResolvedWebhook | undefined;
  if (row) {
    const r = row.value;
    const secrets = [await decryptSecret(r.encryptedSecret)];
    let expiresAt = at + RESOLVE_CACHE_MS;
    if (r.previousEncryptedSecret && r.previousSecretExpiresAt) {
      const until = Date.parse(r.previousSecretExpiresAt);
      if (until > at) {
        secrets.push(await decryptSecret(r.previousEncryptedSecret));
        // The cached entry must not outlive the grace period of the secret it holds.
        expiresAt = Math.min(expiresAt, until);
      }
    }
    value = {
      id,
      tenantId: r.tenantId,
      integrationId: r.integrationId,
      source: r.source,
      active: r.status === 'active',
      paused: r.paused === true,
      secrets,
    };
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(id, { value, expiresAt });
  }
  return value;
}
