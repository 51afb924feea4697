import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { MAX_DELIVERY_COUNT_EXCEEDED, type ReceivedMessage } from '../../shared/bus/port';
import { installClock, ManualClock } from '../../shared/clock/index';
import { API_CODES } from '../../shared/error-catalog/api-codes';
import { handleDeadLetteredPage, handleSyncPage } from '../../shared/sync/engine';
import { listSyncedRecords } from '../../shared/sync/record-list';
import { getSyncRun, type SyncDeps, startSync } from '../../shared/sync/runs';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';
import { createSyncIntegration, syncSetup } from '../support/sync-harness';

/**
 * The `sync-page-deadletter` consumer (shared/sync/engine.ts handleDeadLetteredPage, docs/sync.md
 * "A run is a chain of messages"): a page the bus gave up on ends its run `failed` with a catalog
 * code, keeps every page committed before it, frees the lease; a dead letter that is not the run's
 * current page changes nothing. The page handler runs against the fake Halo and the suite's
 * Azurite; the bus's part — delivering the failing page until maxDeliveryCount, then handing it to
 * the dead-letter queue with Service Bus's properties — is played by the test, so it happens
 * exactly where the test says (the bus's own dead-lettering is test/integration/bus-dead-letter-path).
 */

/** The copy Service Bus puts on the dead-letter queue; the Node worker lower-cases the property names. */
function deadLettered(message: ReceivedMessage, reason: string, description: string): ReceivedMessage {
  return {
    ...message,
    applicationProperties: { deadLetterReason: reason, deadLetterErrorDescription: description },
  };
}

const MAX_DELIVERY_COUNT = 5;

let halo: HaloFakeServer;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  halo = createHaloFake();
  await halo.start();
  // 250 tickets, every fifth closed: 200 open, two pages of 100.
  halo.listings.seed('tickets', 250);
});

afterAll(async () => {
  restoreClock?.();
  await halo.stop();
});

async function setup() {
  const { caller, bus, deps } = syncSetup();
  const integrationId = await createSyncIntegration(
    caller,
    'halopsa',
    { ...HALO_FAKE_CREDENTIALS },
    { baseUrl: halo.baseUrl },
  );
  const body = {
    entities: ['tickets' as const],
    mode: 'full' as const,
    batchSize: 100,
    filters: { ticketStatus: 'open' as const, includeInactive: false },
    schedule: true,
    debug: false,
  };
  return { caller, bus, deps, integrationId, body };
}

async function ticketCount(deps: SyncDeps, caller: Principal, integrationId: string): Promise<number> {
  let rows = 0;
  let cursor: string | undefined;
  do {
    const page = await listSyncedRecords(deps, caller, 'tickets', {
      integrationId,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    rows += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}

describe('sync page dead letters', () => {
  it('a page the vendor keeps failing ends its run failed with service_unavailable; committed pages stay, the lease is free', async () => {
    const { caller, bus, deps, integrationId, body } = await setup();
    const run = await startSync(deps, caller, integrationId, body, { correlationId: 'dl1' });
    await handleSyncPage(deps, bus.take()!);
    expect((await getSyncRun(deps, caller, run.id)).pagesCommitted).toBe(1);

    // Page 1 meets a 503 on every delivery: each one throws (an abandon), up to maxDeliveryCount.
    halo.injectFault(
      { kind: 'status', status: 503, body: { message: 'Service unavailable' } },
      { path: '/api/Tickets' },
    );
    const poison = bus.take()!;
    for (let delivery = 1; delivery <= MAX_DELIVERY_COUNT; delivery++)
      await expect(handleSyncPage(deps, { ...poison, deliveryCount: delivery })).rejects.toMatchObject({
        retryable: true,
      });
    halo.clearFaults();
    expect(bus.sent).toEqual([]);
    expect(await getSyncRun(deps, caller, run.id)).toMatchObject({ status: 'running', pagesCommitted: 1 });

    // The bus dead-letters it; the consumer ends the run.
    const settled = await handleDeadLetteredPage(
      deps,
      deadLettered(poison, MAX_DELIVERY_COUNT_EXCEEDED, 'Message could not be consumed after 5 delivery attempts.'),
    );
    expect(settled).toEqual({ kind: 'complete' });
    const failed = await getSyncRun(deps, caller, run.id);
    expect(failed).toMatchObject({
      status: 'failed',
      pagesCommitted: 1,
      counts: { created: 100, updated: 0, skipped: 0, failed: 0 },
    });
    expect(failed.finishedAt).not.toBeNull();
    expect(failed.errors).toHaveLength(1);
    const [error] = failed.errors;
    expect(error).toMatchObject({ code: 'service_unavailable', entity: 'tickets' });
    expect(error?.message).toContain(MAX_DELIVERY_COUNT_EXCEEDED);
    // The code is one the error catalog explains.
    expect(API_CODES.map((entry) => entry.code)).toContain(error?.code);
    // Nothing lost: the first page's tickets are stored and readable.
    expect(await ticketCount(deps, caller, integrationId)).toBe(100);

    // The same dead letter again (Service Bus delivers at least once) changes nothing.
    await handleDeadLetteredPage(deps, deadLettered(poison, MAX_DELIVERY_COUNT_EXCEEDED, 'again'));
    expect((await getSyncRun(deps, caller, run.id)).errors).toHaveLength(1);

    // The lease is free: a new run starts and, the vendor well again, stores the rest.
    const again = await startSync(deps, caller, integrationId, body, { correlationId: 'dl2' });
    for (let next = bus.take(); next; next = bus.take()) await handleSyncPage(deps, next);
    expect(await getSyncRun(deps, caller, again.id)).toMatchObject({
      status: 'succeeded',
      counts: { created: 100, updated: 0, skipped: 100, failed: 0 },
    });
    expect(await ticketCount(deps, caller, integrationId)).toBe(200);
  });

  it('a dead letter that is not the run’s current page, or not a page at all, changes nothing', async () => {
    const { caller, bus, deps, integrationId, body } = await setup();
    const run = await startSync(deps, caller, integrationId, body, { correlationId: 'dl3' });
    const first = bus.take()!;
    await handleSyncPage(deps, first);
    const before = await getSyncRun(deps, caller, run.id);
    expect(before).toMatchObject({ status: 'running', pagesCommitted: 1 });

    // A stale copy of page 0 (already committed) that the bus dead-lettered: the run carries on.
    expect(await handleDeadLetteredPage(deps, deadLettered(first, MAX_DELIVERY_COUNT_EXCEEDED, 'stale copy'))).toEqual({
      kind: 'complete',
    });
    // A body that is no sync page (the page handler dead-letters those as InvalidSyncMessage).
    const malformed: ReceivedMessage = { ...first, body: { v: 1, tenantId: caller.tenantId } };
    expect(await handleSyncPage(deps, malformed)).toMatchObject({ kind: 'deadLetter', reason: 'InvalidSyncMessage' });
    expect(
      await handleDeadLetteredPage(deps, deadLettered(malformed, 'InvalidSyncMessage', 'not a sync page')),
    ).toEqual({ kind: 'complete' });
    // A page of a run that does not exist.
    expect(
      await handleDeadLetteredPage(
        deps,
        deadLettered(
          { ...first, body: { v: 1, tenantId: caller.tenantId, runId: 'nope', page: 0, retry: 0 } },
          'x',
          'y',
        ),
      ),
    ).toEqual({ kind: 'complete' });
    const after = await getSyncRun(deps, caller, run.id);
    expect(after).toEqual(before);

    // The run completes as if none of that had happened.
    for (let next = bus.take(); next; next = bus.take()) await handleSyncPage(deps, next);
    expect(await getSyncRun(deps, caller, run.id)).toMatchObject({
      status: 'succeeded',
      counts: { created: 200, updated: 0, skipped: 0, failed: 0 },
      errors: [],
    });
  });
});
