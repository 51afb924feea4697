import type { Principal } from '../apikeys/principal';
import { type AuditEntry, recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { DomainError, ValidationError } from '../errors/domain-error';
import { MAX_STRING_CHARS } from '../storage/entity-codec';
import { AlreadyExistsError, ConflictError } from '../storage/errors';
import type { Stored, TableRepository } from '../storage/table-repository';
import {
  type ClientLink,
  MAX_CLIENT_LINKS,
  type RoutingConfigInput,
  type RoutingConfigView,
  type RoutingDocument,
  routingConfigBody,
  type Team,
} from './api-schemas';
import { CONFIG_CHUNKS, CONFIG_ROW, type ConfigRow, MAX_CONFIG_CHARS, type RoutingTables } from './tables';

/** What every routing verb needs: its tables and the audit log. */
export interface RoutingDeps {
  tables: RoutingTables;
  audit: TableRepository<AuditEntry>;
}

/**
 * The config of a tenant that has saved none (version 0): routing is not configured there, so
 * routeTicket decides nothing and writes nothing for its tickets.
 */
export const EMPTY_DOCUMENT: RoutingDocument = { teams: [], clientLinks: [], rules: [], defaultTeamId: null };

export interface LoadedConfig {
  document: RoutingDocument;
  version: number;
  updatedAt: string | null;
  stored: Stored<ConfigRow> | undefined;
}

/** The stored config cannot be read back: a bug or a hand edit, never the caller's input. */
export class RoutingConfigUnreadableError extends Error {
  override readonly name = 'RoutingConfigUnreadableError';
}

function chunksOf(text: string): Pick<ConfigRow, `d${0 | 1 | 2 | 3 | 4 | 5 | 6 | 7}`> {
  const out: Record<string, string> = {};
  for (let i = 0; i < CONFIG_CHUNKS; i++) {
    const part = text.slice(i * MAX_STRING_CHARS, (i + 1) * MAX_STRING_CHARS);
    if (part !== '') out[`d${i}`] = part;
  }
  return out;
}

function documentOf(row: ConfigRow): RoutingDocument {
  const text = [row.d0, row.d1, row.d2, row.d3, row.d4, row.d5, row.d6, row.d7].map((p) => p ?? '').join('');
  try {
    return routingConfigBody.parse(JSON.parse(text));
  } catch (error) {
    throw new RoutingConfigUnreadableError(`the stored routing config (version ${row.version}) does not parse`, {
      cause: error,
    });
  }
}

export async function loadRoutingConfig(deps: RoutingDeps, tenantId: string): Promise<LoadedConfig> {
  const stored = await deps.tables.config.get(tenantId, CONFIG_ROW);
  if (!stored) return { document: EMPTY_DOCUMENT, version: 0, updatedAt: null, stored };
  return {
    document: documentOf(stored.value),
    version: stored.value.version,
    updatedAt: stored.value.updatedAt,
    stored,
  };
}

export function configView(loaded: Pick<LoadedConfig, 'document' | 'version' | 'updatedAt'>): RoutingConfigView {
  return { ...loaded.document, configured: loaded.version > 0, version: loaded.version, updatedAt: loaded.updatedAt };
}

/** The ETag of a config version: strong, quoted, the version number. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

function linkKey(link: Pick<ClientLink, 'clientId' | 'vendor'>): string {
  return `${link.vendor ?? '*'}\u0000${link.clientId}`;
}

/**
 * What a schema cannot see: ids unique, and every team a rule, link or the default names defined.
 * Each problem names its path, so a 400 points at the offending entry.
 */
export function referenceProblems(doc: RoutingDocument): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const teams = new Set<string>();
  doc.teams.forEach((t: Team, i) => {
    if (teams.has(t.id)) problems.push({ path: `teams.${i}.id`, message: `team id "${t.id}" is used twice` });
    teams.add(t.id);
  });
  const unknownTeam = (id: string, path: string) => {
    if (!teams.has(id)) problems.push({ path, message: `no team with id "${id}" is defined in teams` });
  };
  const rules = new Set<string>();
  doc.rules.forEach((r, i) => {
    if (rules.has(r.id)) problems.push({ path: `rules.${i}.id`, message: `rule id "${r.id}" is used twice` });
    rules.add(r.id);
    unknownTeam(r.teamId, `rules.${i}.teamId`);
  });
  const links = new Set<string>();
  doc.clientLinks.forEach((l, i) => {
    const key = linkKey(l);
    if (links.has(key)) {
      problems.push({
        path: `clientLinks.${i}`,
        message: `client "${l.clientId}" is linked twice for the same vendor`,
      });
    }
    links.add(key);
    unknownTeam(l.teamId, `clientLinks.${i}.teamId`);
  });
  if (doc.defaultTeamId !== null) unknownTeam(doc.defaultTeamId, 'defaultTeamId');
  return problems.slice(0, 50);
}

/** References checked, then the encoded size, so a saved document always fits its row. */
function encodeChecked(doc: RoutingDocument): string {
  const problems = referenceProblems(doc);
  if (problems.length > 0)
    throw new ValidationError('The routing config refers to something it does not define.', problems);
  const text = JSON.stringify(doc);
  if (text.length > MAX_CONFIG_CHARS) {
    throw new ValidationError(`The routing config is ${text.length} characters encoded; at most ${MAX_CONFIG_CHARS}.`, [
      { path: '', message: `must encode to at most ${MAX_CONFIG_CHARS} characters (fewer rules, links or keywords)` },
    ]);
  }
  return text;
}

/** The versions an If-Match header names (`*`: any saved version); undefined when it is absent. */
export function parseIfMatch(header: string | null): { any: boolean; versions: number[] } | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (header.trim() === '*') return { any: true, versions: [] };
  const versions: number[] = [];
  for (const part of header.split(',')) {
    // Only strong tags: If-Match compares strongly (RFC 9110 §13.1.1), and ours are all strong.
    const m = /^"(\d{1,9})"$/.exec(part.trim());
    if (m) versions.push(Number(m[1]));
  }
  return { any: false, versions };
}

function preconditionFailed(current: number): DomainError {
  return new DomainError(
    'precondition_failed',
    `The routing config is at version ${current} (ETag "${current}"); read it again, apply your change and retry.`,
    { currentVersion: current },
  );
}

/**
 * Replace the tenant's routing document, only if it is still the version the caller read
 * (If-Match; `"0"` while none is saved). A concurrent save between our read and write loses the
 * ETag race below and answers 412 like a stale If-Match.
 */
export async function putRoutingConfig(
  deps: RoutingDeps,
  caller: Principal,
  input: RoutingConfigInput,
  ifMatch: string | null,
  correlationId: string,
): Promise<RoutingConfigView> {
  const condition = parseIfMatch(ifMatch);
  if (condition === undefined) {
    throw new DomainError(
      'precondition_required',
      'Send If-Match with the ETag of GET /api/v1/routing ("0" while no config is saved), so a concurrent change is never overwritten.',
    );
  }
  const doc = routingConfigBody.parse(input);
  const text = encodeChecked(doc);
  const current = await deps.tables.config.get(caller.tenantId, CONFIG_ROW);
  const currentVersion = current?.value.version ?? 0;
  const matches = condition.any ? current !== undefined : condition.versions.includes(currentVersion);
  if (!matches) throw preconditionFailed(currentVersion);
  const at = new Date(nowMs()).toISOString();
  const row: ConfigRow = { version: currentVersion + 1, updatedAt: at, updatedBy: caller.keyId, ...chunksOf(text) };
  try {
    if (current) await deps.tables.config.replace(caller.tenantId, CONFIG_ROW, row, current.etag);
    else await deps.tables.config.insert(caller.tenantId, CONFIG_ROW, row);
  } catch (error) {
    if (error instanceof ConflictError || error instanceof AlreadyExistsError) throw preconditionFailed(currentVersion);
    throw error;
  }
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'routing.updated',
    actorKeyId: caller.keyId,
    targetType: 'routing',
    targetId: CONFIG_ROW,
    correlationId,
    details: {
      version: row.version,
      teams: doc.teams.length,
      rules: doc.rules.length,
      clientLinks: doc.clientLinks.length,
    },
  });
  return configView({ document: doc, version: row.version, updatedAt: at });
}

export interface BulkLinkInput {
  teamId: string | null;
  clients: { clientId: string; vendor?: RoutingDocument['clientLinks'][number]['vendor'] }[];
}

export interface BulkLinkResult {
  linked: number;
  moved: number;
  unlinked: number;
  unchanged: number;
  version: number;
}

/**
 * Link many clients to one team (or unlink them with `teamId: null`) in one change of the
 * document. It merges rather than replaces, so it needs no If-Match: it is a read-modify-write
 * under the row's ETag that re-reads and re-applies on a lost race, and never loses an edit.
 */
export async function linkClients(
  deps: RoutingDeps,
  caller: Principal,
  input: BulkLinkInput,
  correlationId: string,
): Promise<BulkLinkResult> {
  let result: BulkLinkResult | undefined;
  const at = new Date(nowMs()).toISOString();
  await deps.tables.config.update(caller.tenantId, CONFIG_ROW, (current) => {
    const doc = current ? documentOf(current) : EMPTY_DOCUMENT;
    if (input.teamId !== null && !doc.teams.some((t) => t.id === input.teamId)) {
      throw new ValidationError('The team is not defined in the routing config.', [
        { path: 'teamId', message: `no team with id "${input.teamId}"; add it with PUT /api/v1/routing first` },
      ]);
    }
    const links = new Map(doc.clientLinks.map((l) => [linkKey(l), l] as const));
    const counts = { linked: 0, moved: 0, unlinked: 0, unchanged: 0 };
    for (const client of input.clients) {
      const key = linkKey(client);
      const existing = links.get(key);
      if (input.teamId === null) {
        if (existing) {
          links.delete(key);
          counts.unlinked++;
        } else counts.unchanged++;
        continue;
      }
      if (existing?.teamId === input.teamId) {
        counts.unchanged++;
        continue;
      }
      if (existing) counts.moved++;
      else counts.linked++;
      const link: ClientLink = { clientId: client.clientId, teamId: input.teamId };
      if (client.vendor !== undefined) link.vendor = client.vendor;
      links.set(key, link);
    }
    if (links.size > MAX_CLIENT_LINKS) {
      throw new ValidationError(`At most ${MAX_CLIENT_LINKS} client links; this change would make ${links.size}.`, [
        { path: 'clients', message: `the config would hold ${links.size} client links (at most ${MAX_CLIENT_LINKS})` },
      ]);
    }
    const version = (current?.version ?? 0) + (counts.linked + counts.moved + counts.unlinked > 0 ? 1 : 0);
    result = { ...counts, version };
    if (version === (current?.version ?? 0)) return undefined;
    const next: RoutingDocument = { ...doc, clientLinks: [...links.values()] };
    return { version, updatedAt: at, updatedBy: caller.keyId, ...chunksOf(encodeChecked(next)) };
  });
  if (!result) throw new Error('linkClients: the update ran no mutation');
  if (result.linked + result.moved + result.unlinked > 0) {
    await recordAudit(deps.audit, caller.tenantId, {
      action: 'routing.clients_linked',
      actorKeyId: caller.keyId,
      targetType: 'routing',
      targetId: CONFIG_ROW,
      correlationId,
      details: { teamId: input.teamId ?? '', linked: result.linked, moved: result.moved, unlinked: result.unlinked },
    });
  }
  return result;
}
