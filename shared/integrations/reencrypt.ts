import { z } from 'zod';
import { credentialCipher } from '../app/process-cipher';
import { nowMs } from '../clock';
import { type ReencryptResult, reencryptAll } from '../crypto/credential-cipher';
import { DomainError } from '../errors/domain-error';
import { decodeStateCursor, encodeStateCursor, InvalidCursorError } from '../storage/cursor';
import { ConflictError } from '../storage/errors';
import type { IntegrationDeps } from './deps';
import { INDEX_SHARDS } from './probe-index';
import type { IndexEntry } from './tables';

/**
 * How long one call keeps scanning. An HTTP response is dropped by Azure's front end after 230 s
 * and an overrun of host.json's functionTimeout restarts the worker, so a call stops after the
 * page in which its budget ran out and answers with a cursor to continue from (docs/decisions.md §44).
 */
export const REENCRYPT_BUDGET_MS = 60_000;
/** Index rows read per page; each costs a read and at most one write. */
export const REENCRYPT_PAGE = 50;

export interface ReencryptLimits {
  budgetMs: number;
  page: number;
}

export interface ReencryptPage extends ReencryptResult {
  /** More integrations to scan: call again with this cursor. Null when the scan is complete. */
  nextCursor: string | null;
}

/** Where a scan stands: the probe-index shard and the storage cursor inside it. */
const positionSchema = z.strictObject({
  shard: z
    .number()
    .int()
    .min(0)
    .max(INDEX_SHARDS - 1),
  inner: z.string().max(2048).nullable(),
});
type Position = z.infer<typeof positionSchema>;
const CURSOR_SCOPE = ['credentials-reencrypt'] as const;

function decodePosition(cursor: string): Position {
  try {
    const parsed = positionSchema.safeParse(decodeStateCursor(cursor, CURSOR_SCOPE));
    if (parsed.success) return parsed.data;
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
  }
  throw new DomainError('invalid_cursor', 'The cursor does not belong to this re-encryption; start again without one.');
}

/**
 * Re-encrypts integrations' credentials under the primary key of the credential key ring
 * (docs/runbooks/credential-key-rotation.md). Walks the integration index (every tenant) a page at
 * a time, skips tokens already under the primary, and writes each row with its ETag, so a run can
 * be stopped and started again, two runs can overlap, and a credential an admin changes meanwhile
 * is kept. A call ends when its time budget is spent (at least one page per call) with `nextCursor`.
 */
export async function reencryptIntegrationCredentials(
  deps: IntegrationDeps,
  options: { cursor?: string | undefined; limits?: ReencryptLimits } = {},
): Promise<ReencryptPage> {
  const limits = options.limits ?? { budgetMs: REENCRYPT_BUDGET_MS, page: REENCRYPT_PAGE };
  const started = nowMs();
  let position: Position | null = options.cursor ? decodePosition(options.cursor) : { shard: 0, inner: null };
  const total: ReencryptResult = { scanned: 0, rewritten: 0, unreadable: [] };
  let first = true;
  while (position && (first || nowMs() - started < limits.budgetMs)) {
    first = false;
    const page = await deps.tables.index.list(`shard-${position.shard}`, {
      limit: limits.page,
      ...(position.inner ? { cursor: position.inner } : {}),
    });
    const done = await reencryptAll(
      rows(
        deps,
        page.items.map((row) => row.value),
      ),
      credentialCipher(),
    );
    total.scanned += done.scanned;
    total.rewritten += done.rewritten;
    total.unreadable.push(...done.unreadable);
    position = page.nextCursor
      ? { shard: position.shard, inner: page.nextCursor }
      : position.shard + 1 < INDEX_SHARDS
        ? { shard: position.shard + 1, inner: null }
        : null;
  }
  return { ...total, nextCursor: position ? encodeStateCursor(position, CURSOR_SCOPE) : null };
}

async function* rows(deps: IntegrationDeps, targets: IndexEntry[]) {
  for (const target of targets) {
    const stored = await deps.tables.integrations.get(target.tenantId, target.integrationId);
    if (!stored) continue;
    yield {
      id: `${target.tenantId}/${target.integrationId}`,
      token: stored.value.encryptedCredentials,
      save: async (newToken: string) => {
        try {
          await deps.tables.integrations.replace(
            target.tenantId,
            target.integrationId,
            { ...stored.value, encryptedCredentials: newToken },
            stored.etag,
          );
        } catch (error) {
          // Changed meanwhile: the new credentials were written under the current primary.
          if (!(error instanceof ConflictError)) throw error;
        }
      },
    };
  }
}

/** Every page until the scan is complete, for the command-line tool (no front end to outrun). */
export async function reencryptAllIntegrationCredentials(deps: IntegrationDeps): Promise<ReencryptResult> {
  const total: ReencryptResult = { scanned: 0, rewritten: 0, unreadable: [] };
  let cursor: string | undefined;
  do {
    const page = await reencryptIntegrationCredentials(deps, { cursor });
    total.scanned += page.scanned;
    total.rewritten += page.rewritten;
    total.unreadable.push(...page.unreadable);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return total;
}
