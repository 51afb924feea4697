import { type AuditEntry, recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import type { Page, Stored, TableRepository } from '../storage/table-repository';
import { generateKeyMaterial } from './key-material';
import { OPERATOR_KEY_ID, type Principal } from './principal';
import { grants, type Scope } from './scopes';
import type { ApiKeyRecord, ApiKeyTables } from './tables';
import { LOOKUP_ROW } from './tables';

/** The public view of a key: everything but the hash. The key itself appears only at creation. */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  hint: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyDeps {
  tables: ApiKeyTables;
  audit: TableRepository<AuditEntry>;
  /** API_KEY_MAX_LIFETIME_DAYS: no key lives longer than this. */
  maxLifetimeDays?: number;
}

export const DEFAULT_MAX_KEY_LIFETIME_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

export function toView(stored: Stored<ApiKeyRecord>): ApiKeyView {
  const v = stored.value;
  return {
    id: stored.rowKey,
    name: v.name,
    scopes: v.scopes,
    hint: v.hint,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    createdBy: v.createdBy,
    expiresAt: v.expiresAt ?? null,
    revokedAt: v.revokedAt ?? null,
  };
}

/** Between the tenant's key row and the lookup row that makes the key usable. */
export const CRASH_AFTER_KEY_RECORD = 'apikeys.create.after-record';

export class ScopeEscalationError extends DomainError {
  constructor(scopes: Scope[]) {
    super('scope_escalation', `A key cannot grant scopes it does not hold: ${scopes.join(', ')}.`, { scopes });
  }
}

export class InvalidExpiryError extends DomainError {
  constructor() {
    super('invalid_expiry', 'expiresAt must be in the future.');
  }
}

/** The target key holds a scope the caller does not: the caller may not see or revoke it. */
export class KeyOutranksCallerError extends DomainError {
  constructor(id: string) {
    super(
      'key_outranks_caller',
      `API key "${id}" holds scopes this key does not; only a key holding them may manage it.`,
      {
        id,
      },
    );
  }
}

/** A key may manage (see, list, revoke) only keys whose every scope it holds itself. */
export function mayManage(caller: Principal, target: ApiKeyRecord): boolean {
  return target.scopes.every((scope) => grants(caller.scopes, scope));
}

/**
 * When a new key expires: the requested time, but never after its creator's expiry nor after the
 * deployment's maximum lifetime; a key created without expiresAt gets the latest allowed time.
 */
export function cappedExpiry(
  caller: Principal,
  requested: string | undefined,
  maxLifetimeDays: number,
  at: number,
): number {
  const limits = [at + maxLifetimeDays * DAY_MS];
  if (caller.expiresAt) limits.push(Date.parse(caller.expiresAt));
  if (requested) limits.push(Date.parse(requested));
  return Math.min(...limits.filter((t) => Number.isFinite(t)));
}

export async function createApiKey(
  deps: ApiKeyDeps,
  caller: Principal,
  input: { name: string; scopes: Scope[]; expiresAt?: string | undefined },
  correlationId: string,
  /** Fixed by an Idempotency-Key: a retry's insert then conflicts instead of making a second key. */
  keyId?: string,
): Promise<ApiKeyView & { key: string }> {
  const escalated = input.scopes.filter((s) => !grants(caller.scopes, s));
  if (escalated.length > 0) throw new ScopeEscalationError(escalated);
  const now = nowMs();
  if (input.expiresAt && Date.parse(input.expiresAt) <= now) throw new InvalidExpiryError();
  const expiresAt = cappedExpiry(caller, input.expiresAt, deps.maxLifetimeDays ?? DEFAULT_MAX_KEY_LIFETIME_DAYS, now);
  // The creator itself has (all but) expired: a key it made would be dead on arrival.
  if (expiresAt <= now) throw new InvalidExpiryError();
  const material = generateKeyMaterial(keyId);
  const at = new Date(now).toISOString();
  const record: ApiKeyRecord = {
    name: input.name,
    scopes: [...new Set(input.scopes)],
    hash: material.hash,
    hint: material.hint,
    createdAt: at,
    updatedAt: at,
    createdBy: caller.keyId,
    expiresAt: new Date(expiresAt).toISOString(),
  };
  // The tenant row first: if we crash before the lookup row, the key is listed (and revocable)
  // but cannot authenticate — never the other way round.
  const stored = await deps.tables.keys.insert(caller.tenantId, material.keyId, record);
  crashPoint(CRASH_AFTER_KEY_RECORD);
  await deps.tables.lookup.insert(material.keyId, LOOKUP_ROW, { tenantId: caller.tenantId });
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'apikey.created',
    actorKeyId: caller.keyId,
    targetType: 'apikey',
    targetId: material.keyId,
    correlationId,
    details: { scopes: record.scopes.join(' ') },
  });
  return { ...toView(stored), key: material.key };
}

export async function listApiKeys(
  deps: ApiKeyDeps,
  caller: Principal,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: ApiKeyView[]; nextCursor: string | null }> {
  // Key ids sort newest first (inverted-time ids), so RowKey order is the API's order.
  const page: Page<Stored<ApiKeyRecord>> = await deps.tables.keys.list(caller.tenantId, {
    limit: options.limit,
    cursor: options.cursor ?? null,
  });
  // Keys that outrank the caller are left out (a page may then be short; the cursor still leads on).
  return {
    items: page.items.filter((stored) => mayManage(caller, stored.value)).map(toView),
    nextCursor: page.nextCursor,
  };
}

export async function getApiKey(deps: ApiKeyDeps, caller: Principal, id: string): Promise<ApiKeyView> {
  const stored = await deps.tables.keys.get(caller.tenantId, id);
  if (!stored) throw new ResourceNotFoundError('API key', id);
  if (!mayManage(caller, stored.value)) throw new KeyOutranksCallerError(id);
  return toView(stored);
}

/** Between revoking the requested key and revoking the keys it created (crash tests). */
export const CRASH_AFTER_REVOKE_TARGET = 'apikeys.revoke.after-target';
/** Between two descendants of a cascade (crash tests). */
export const CRASH_DURING_CASCADE = 'apikeys.revoke.during-cascade';

/**
 * Revoke a key and every key it created, transitively (docs/decisions.md §42): a key made with a
 * key's authority does not outlive that authority. Immediate and permanent; records stay for audit,
 * and each key that changes gets its own `apikey.revoked` entry (descendants name the key the
 * cascade started from).
 *
 * Crash-safe by order and idempotence: the requested key goes first (from then on it can create
 * nothing new, so the set of descendants only shrinks), then the descendants, parents before
 * children. Repeating the request walks the tree again whether or not the requested key was
 * already revoked, so a retry after a crash midway finishes the cascade and changes nothing else.
 */
export async function revokeApiKey(
  deps: ApiKeyDeps,
  caller: Principal,
  id: string,
  correlationId: string,
): Promise<ApiKeyView> {
  const target = await revokeOne(deps, caller, id, correlationId, (current) => {
    if (!mayManage(caller, current)) throw new KeyOutranksCallerError(id);
  });
  if (!target) throw new ResourceNotFoundError('API key', id);
  crashPoint(CRASH_AFTER_REVOKE_TARGET);
  for (const descendant of await descendantsOf(deps, caller.tenantId, id)) {
    // Descendants never outrank their creator (createApiKey), so no scope check is owed here.
    await revokeOne(deps, caller, descendant, correlationId, () => undefined, id);
    crashPoint(CRASH_DURING_CASCADE);
  }
  return toView(target);
}

/**
 * Revoke one key unless it already is; records the audit entry when this call changed it. Returns
 * the key as stored afterwards, or undefined when there is no such key.
 */
async function revokeOne(
  deps: ApiKeyDeps,
  caller: Principal,
  id: string,
  correlationId: string,
  allow: (current: ApiKeyRecord) => void,
  cascadeFrom?: string,
): Promise<Stored<ApiKeyRecord> | undefined> {
  let changed = false;
  const stored = await deps.tables.keys.update(caller.tenantId, id, (current) => {
    // Reset on every round: a lost race calls this again, and only the winning round counts.
    changed = false;
    if (current) allow(current);
    if (!current || current.revokedAt) return undefined;
    changed = true;
    const at = new Date(nowMs()).toISOString();
    return { ...current, revokedAt: at, revokedBy: caller.keyId, updatedAt: at };
  });
  const current = stored ?? (await deps.tables.keys.get(caller.tenantId, id));
  if (current && changed) {
    await recordAudit(deps.audit, caller.tenantId, {
      action: 'apikey.revoked',
      actorKeyId: caller.keyId,
      targetType: 'apikey',
      targetId: id,
      correlationId,
      ...(cascadeFrom ? { details: { cascadeFrom } } : {}),
    });
  }
  return current ?? undefined;
}

/** Every key created by `root` or by a key it created, and so on: breadth-first, parents first. */
async function descendantsOf(deps: ApiKeyDeps, tenantId: string, root: string): Promise<string[]> {
  const children = new Map<string, string[]>();
  let cursor: string | null = null;
  do {
    const page: Page<Stored<ApiKeyRecord>> = await deps.tables.keys.list(tenantId, { limit: 1000, cursor });
    for (const stored of page.items) {
      const siblings = children.get(stored.value.createdBy) ?? [];
      siblings.push(stored.rowKey);
      children.set(stored.value.createdBy, siblings);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const out: string[] = [];
  const seen = new Set([root]);
  for (let queue = [root]; queue.length > 0; ) {
    const next: string[] = [];
    for (const parent of queue) {
      for (const child of children.get(parent) ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        out.push(child);
        next.push(child);
      }
    }
    queue = next;
  }
  return out;
}

/**
 * A new tenant's first admin key, created on the platform operator's behalf (createdBy
 * "operator"). From then on it is an ordinary tenant key, capped by API_KEY_MAX_LIFETIME_DAYS.
 */
export function issueFirstAdminKey(
  deps: ApiKeyDeps,
  tenantId: string,
  correlationId: string,
): Promise<ApiKeyView & { key: string }> {
  const creator: Principal = { tenantId, keyId: OPERATOR_KEY_ID, scopes: ['admin'] };
  return createApiKey(deps, creator, { name: 'First admin key', scopes: ['admin'] }, correlationId);
}
