import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import type { BusSender, ReceivedMessage, SendOptions } from '../../shared/bus/port';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import type { SyncEntity } from '../../shared/sync/adapter';
import { syncDeps } from '../../shared/sync/deps';
import { handleSyncPage } from '../../shared/sync/engine';
import { listSyncedRecords } from '../../shared/sync/record-list';
import type { SyncDeps } from '../../shared/sync/runs';
import type { VendorId } from '../../shared/vendors/contract';

/**
 * What the per-vendor sync tests share (test/integration/sync-*.test.ts): the hub's own sync deps
 * with a bus the test delivers from by hand, so re-deliveries and waits happen exactly where the
 * test says, with no timing involved.
 */

export class RecordingBus implements BusSender {
  readonly sent: { queue: string; body: unknown; options: SendOptions }[] = [];
  private readonly ids = new Set<string>();
  async send(queue: string, body: unknown, options: SendOptions): Promise<void> {
    // Duplicate detection on the message id, as both bus adapters do.
    if (this.ids.has(options.messageId)) return;
    this.ids.add(options.messageId);
    this.sent.push({ queue, body, options });
  }
  take(): ReceivedMessage | undefined {
    const next = this.sent.shift();
    if (!next) return undefined;
    return {
      body: next.body,
      messageId: next.options.messageId,
      deliveryCount: 1,
      enqueuedTimeUtc: new Date(),
      applicationProperties: {},
    };
  }
  /** Forgets the ids seen: a send the test dropped never happened. */
  forgetIds(): void {
    this.ids.clear();
  }
}

/** A fresh tenant (`<prefix>-…`) with admin scope, and the hub's sync deps on a RecordingBus. */
export function syncSetup(prefix = 'tn'): { caller: Principal; bus: RecordingBus; deps: SyncDeps } {
  const caller: Principal = { tenantId: `${prefix}-${randomUUID().slice(0, 8)}`, keyId: 'key1', scopes: ['admin'] };
  const bus = new RecordingBus();
  return { caller, bus, deps: { ...syncDeps(), bus } };
}

export async function createSyncIntegration(
  caller: Principal,
  vendor: VendorId,
  credentials: Record<string, string>,
  config: Record<string, unknown>,
): Promise<string> {
  const created = await createIntegration(
    integrationDeps(),
    caller,
    { vendor, name: vendor, credentials, config },
    { skipTest: true, correlationId: 'setup' },
  );
  return created.id;
}

/** Delivers every queued page message until the chain ends. */
export async function drainSync(deps: SyncDeps, bus: RecordingBus): Promise<void> {
  for (let next = bus.take(); next; next = bus.take()) {
    expect(await handleSyncPage(deps, next)).toEqual({ kind: 'complete' });
  }
}

export function syncBody(
  entities: SyncEntity[],
  mode: 'full' | 'incremental',
  batchSize = 100,
  includeInactive = true,
) {
  return {
    entities,
    mode,
    batchSize,
    filters: { ticketStatus: 'all' as const, includeInactive },
    schedule: true,
    debug: false,
  };
}

/**
 * The distinct vendor ids stored for an entity of an integration, and the rows listed, read
 * `limit` a page: equal counts say no record was stored twice.
 */
export async function syncedIds(
  deps: SyncDeps,
  caller: Principal,
  integrationId: string,
  entity: SyncEntity,
  limit = 500,
): Promise<{ ids: number; rows: number }> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  let rows = 0;
  do {
    const page = await listSyncedRecords(deps, caller, entity, {
      integrationId,
      limit,
      ...(cursor ? { cursor } : {}),
    });
    for (const item of page.items) ids.add(item.id);
    rows += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { ids: ids.size, rows };
}

/** The distinct vendor ids stored for an entity of an integration. */
export async function countSynced(
  deps: SyncDeps,
  caller: Principal,
  integrationId: string,
  entity: SyncEntity,
): Promise<number> {
  return (await syncedIds(deps, caller, integrationId, entity)).ids;
}
