import { z } from 'zod';
import type { Principal } from '../apikeys/principal';
import { type AuditEntry, recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import { newestFirstId } from '../storage/keys';
import type { Stored, TableRepository } from '../storage/table-repository';
import {
  type MatchRules,
  matchRulesSchema,
  type SopInput,
  type SopStep,
  type SopView,
  stepSchema,
} from './api-schemas';
import type { MatchableSop } from './match';
import type { SopRecord, SopTables } from './tables';
import { validateIntegrations, validateSop } from './validate';

/** The SOP verbs: create, list, get, replace, delete, and what matching and dispatch read. */
export interface SopDeps {
  tables: SopTables;
  audit: TableRepository<AuditEntry>;
  /** The vendor of one of the tenant's integrations, or undefined when it has none by that id. */
  integrationVendor(tenantId: string, integrationId: string): Promise<string | undefined>;
}

/** The catalog checks, then the integrations the steps name (reads only when a step names one). */
async function validate(deps: SopDeps, caller: Principal, input: SopInput): Promise<void> {
  validateSop(input);
  await validateIntegrations(input, (id) => deps.integrationVendor(caller.tenantId, id));
}

const definitionSchema = z.object({ match: matchRulesSchema, steps: z.array(stepSchema) });

function parseDefinition(text: string): { match: MatchRules; steps: SopStep[] } {
  return definitionSchema.parse(JSON.parse(text));
}

function toView(stored: Stored<SopRecord>): SopView {
  const { match, steps } = parseDefinition(stored.value.definition);
  return {
    id: stored.rowKey,
    name: stored.value.name,
    description: stored.value.description,
    enabled: stored.value.enabled,
    match,
    steps,
    version: stored.value.version,
    createdAt: stored.value.createdAt,
    updatedAt: stored.value.updatedAt,
  };
}

async function audit(deps: SopDeps, caller: Principal, action: string, id: string, correlationId: string) {
  await recordAudit(deps.audit, caller.tenantId, {
    action,
    actorKeyId: caller.keyId,
    targetType: 'sop',
    targetId: id,
    correlationId,
  });
}

export async function createSop(
  deps: SopDeps,
  caller: Principal,
  input: SopInput,
  correlationId: string,
  /** Fixed by an Idempotency-Key: a retry's insert then conflicts instead of making a second SOP. */
  id: string = newestFirstId(),
): Promise<SopView> {
  await validate(deps, caller, input);
  const at = new Date(nowMs()).toISOString();
  const stored = await deps.tables.sops.insert(caller.tenantId, id, {
    name: input.name,
    description: input.description ?? null,
    enabled: input.enabled,
    definition: JSON.stringify({ match: input.match, steps: input.steps }),
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: caller.keyId,
  });
  await audit(deps, caller, 'sop.created', id, correlationId);
  return toView(stored);
}

export async function listSops(
  deps: SopDeps,
  caller: Principal,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: SopView[]; nextCursor: string | null }> {
  const page = await deps.tables.sops.list(caller.tenantId, { limit: options.limit, cursor: options.cursor ?? null });
  return { items: page.items.map(toView), nextCursor: page.nextCursor };
}

async function load(deps: SopDeps, tenantId: string, id: string): Promise<Stored<SopRecord>> {
  const stored = await deps.tables.sops.get(tenantId, id);
  if (!stored) throw new ResourceNotFoundError('SOP', id);
  return stored;
}

export async function getSop(deps: SopDeps, tenantId: string, id: string): Promise<SopView> {
  return toView(await load(deps, tenantId, id));
}

/** Replaces the whole SOP (ETag-conditional: a concurrent edit loses with 409, never silently). */
export async function replaceSop(
  deps: SopDeps,
  caller: Principal,
  id: string,
  input: SopInput,
  correlationId: string,
): Promise<SopView> {
  await validate(deps, caller, input);
  const current = await load(deps, caller.tenantId, id);
  const stored = await deps.tables.sops.replace(
    caller.tenantId,
    id,
    {
      ...current.value,
      name: input.name,
      description: input.description ?? null,
      enabled: input.enabled,
      definition: JSON.stringify({ match: input.match, steps: input.steps }),
      version: current.value.version + 1,
      updatedAt: new Date(nowMs()).toISOString(),
    },
    current.etag,
  );
  await audit(deps, caller, 'sop.updated', id, correlationId);
  return toView(stored);
}

export async function deleteSop(deps: SopDeps, caller: Principal, id: string, correlationId: string): Promise<void> {
  if (!(await deps.tables.sops.delete(caller.tenantId, id))) throw new ResourceNotFoundError('SOP', id);
  await audit(deps, caller, 'sop.deleted', id, correlationId);
}

/** The tenant's enabled SOPs, for matching (one partition read). */
export async function enabledSops(deps: SopDeps, tenantId: string): Promise<MatchableSop[]> {
  const out: MatchableSop[] = [];
  for await (const row of deps.tables.sops.iterate(tenantId)) {
    if (!row.value.enabled) continue;
    out.push({ id: row.rowKey, name: row.value.name, match: parseDefinition(row.value.definition).match });
  }
  return out;
}

/** One SOP as dispatch snapshots it into an agent run; undefined when it was deleted meanwhile. */
export async function findSop(deps: SopDeps, tenantId: string, id: string): Promise<SopView | undefined> {
  const stored = await deps.tables.sops.get(tenantId, id);
  return stored ? toView(stored) : undefined;
}
