import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { services } from '../../shared/app/services';
import type { BusSender, SendOptions } from '../../shared/bus/port';
import { installClock, ManualClock } from '../../shared/clock';
import { type DomainError, isDomainError } from '../../shared/errors/domain-error';
import { createEvent, loadEvent, loadEventPayload, updateEvent } from '../../shared/events/event-store';
import { errorMapping } from '../../shared/http/error-table';
import { problemFrom, problemHeaders } from '../../shared/http/problem';
import { type ReplayDeps, replayEvent, replayEvents, replaysOf } from '../../shared/replay/replay';
import { installLocalSettings } from '../support/local-settings';

/**
 * Replay guards of docs/design.md §6.10 against Azurite, in order, with the exact problem fields; 20
 * concurrent replays give exactly one acceptance; the cooldown counts down with the clock.
 */

beforeAll(() => {
  installLocalSettings();
});

let clock: ManualClock;
let restore: () => void;
afterEach(() => restore?.());

function setup() {
  clock = new ManualClock(Date.now());
  restore = installClock(clock);
  const sent: Array<{ queue: string; options: SendOptions }> = [];
  const bus: BusSender = { send: async (queue, _body, options) => void sent.push({ queue, options }) };
  const deps: ReplayDeps = { account: services().account, audit: services().audit, bus: () => bus };
  const caller: Principal = { tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'k1', scopes: ['admin'] };
  return { deps, caller, sent };
}

async function original(tenantId: string, status: 'failed' | 'succeeded' = 'failed') {
  const { view } = await createEvent({
    tenantId,
    source: 'autotask',
    webhookId: 'wh',
    integrationId: 'i1',
    trigger: 'vendor',
    replayOf: null,
    correlationId: 'c',
    dedupKey: null,
    bodyText: JSON.stringify({ Action: 'Create', EntityType: 'Ticket', Id: 1 }),
  });
  await updateEvent(tenantId, view.id, { status, stage: 'sop_matching' });
  return view;
}

async function refusal(
  p: Promise<unknown>,
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await p;
  } catch (error) {
    if (!isDomainError(error)) throw error;
    return {
      status: errorMapping(error.code).status,
      body: problemFrom(error as DomainError, 'c') as unknown as Record<string, unknown>,
      headers: problemHeaders(error as DomainError),
    };
  }
  throw new Error('expected a refusal');
}

describe('replay', () => {
  it('re-submits the original payload as a new event with replayOf and trigger manual, and sends it to validation', async () => {
    const { deps, caller, sent } = setup();
    const event = await original(caller.tenantId);
    const accepted = await replayEvent(deps, caller, event.id, { force: false, trigger: 'manual', correlationId: 'r' });
    expect(accepted.replayOf).toBe(event.id);
    expect(accepted.eventId).not.toBe(event.id);
    expect(await loadEvent(caller.tenantId, accepted.eventId)).toMatchObject({
      status: 'received',
      trigger: 'manual',
      replayOf: event.id,
      rootEventId: event.id,
      source: 'autotask',
    });
    expect(await loadEventPayload(caller.tenantId, accepted.eventId)).toEqual(
      await loadEventPayload(caller.tenantId, event.id),
    );
    expect(sent.map((s) => s.options.messageId)).toEqual([`${accepted.eventId}:validation:main:0`]);
    expect(await replaysOf(services().account, caller.tenantId, event.id)).toEqual([
      expect.objectContaining({ eventId: accepted.eventId, trigger: 'manual', forced: false }),
    ]);
  });

  it('answers 404, 422 (unless force), 409 with conflicting_replay_id, then 429 cooldown counting down with the clock', async () => {
    const { deps, caller } = setup();
    const opts = { force: false, trigger: 'manual' as const, correlationId: 'r' };
    expect((await refusal(replayEvent(deps, caller, '7YBQ6S4DMTXA4R0VBTPYNZWT59', opts))).status).toBe(404);

    const done = await original(caller.tenantId, 'succeeded');
    const confirm = await refusal(replayEvent(deps, caller, done.id, opts));
    expect(confirm.status).toBe(422);
    expect(confirm.body['code']).toBe('replay_confirmation_required');
    const forced = await replayEvent(deps, caller, done.id, { ...opts, force: true });

    // The forced replay is in flight (received): 409 names it, even with force.
    const inFlight = await refusal(replayEvent(deps, caller, done.id, { ...opts, force: true }));
    expect(inFlight.status).toBe(409);
    expect(inFlight.body).toMatchObject({ code: 'replay_in_flight', conflicting_replay_id: forced.eventId });
    // A replay of the replay belongs to the same root.
    const viaReplay = await refusal(replayEvent(deps, caller, forced.eventId, opts));
    expect(viaReplay.body).toMatchObject({ code: 'replay_in_flight', conflicting_replay_id: forced.eventId });

    await updateEvent(caller.tenantId, forced.eventId, { status: 'failed' });
    clock.advance(60_000);
    const cooldown = await refusal(replayEvent(deps, caller, done.id, { ...opts, force: true }));
    expect(cooldown.status).toBe(429);
    expect(cooldown.body).toMatchObject({ code: 'replay_cooldown', retry_after_seconds: 240 });
    expect(cooldown.headers['Retry-After']).toBe('240');
    clock.advance(100_500);
    const later = await refusal(replayEvent(deps, caller, done.id, { ...opts, force: true }));
    expect(later.body).toMatchObject({ code: 'replay_cooldown', retry_after_seconds: 140 });
    clock.advance(139_500);
    await expect(replayEvent(deps, caller, done.id, { ...opts, force: true })).resolves.toMatchObject({
      replayOf: done.id,
    });
  });

  it('20 concurrent replays of one event: exactly one is accepted, the others meet replay_in_flight naming it', async () => {
    const { deps, caller } = setup();
    const event = await original(caller.tenantId);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        replayEvent(deps, caller, event.id, { force: false, trigger: 'manual', correlationId: 'r' }),
      ),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    expect(accepted).toHaveLength(1);
    const winner = (accepted[0] as PromiseFulfilledResult<{ eventId: string }>).value.eventId;
    for (const r of results.filter((x) => x.status === 'rejected')) {
      const error = (r as PromiseRejectedResult).reason as DomainError;
      expect(error.code).toBe('replay_in_flight');
      expect(error.details['conflicting_replay_id']).toBe(winner);
    }
    expect(await replaysOf(services().account, caller.tenantId, event.id)).toHaveLength(1);
  });

  it('the 11th accepted replay in a minute is refused with replay_rate_limit; bulk answers per item and counts each acceptance', async () => {
    const { deps, caller } = setup();
    const events = [];
    for (let i = 0; i < 12; i++) events.push(await original(caller.tenantId));
    const items = await replayEvents(
      deps,
      caller,
      events.slice(0, 11).map((e) => e.id),
      { force: false, correlationId: 'b' },
      (e) => errorMapping(e.code).status,
    );
    expect(items.slice(0, 10).every((i) => i.status === 202)).toBe(true);
    expect(items[10]).toMatchObject({ status: 429, code: 'replay_rate_limit', retry_after_seconds: 60 });
    clock.advance(30_000);
    const single = await refusal(
      replayEvent(deps, caller, events[11]!.id, { force: false, trigger: 'manual', correlationId: 'r' }),
    );
    expect(single.body).toMatchObject({ code: 'replay_rate_limit', retry_after_seconds: 30 });
    clock.advance(30_001);
    await expect(
      replayEvent(deps, caller, events[11]!.id, { force: false, trigger: 'manual', correlationId: 'r' }),
    ).resolves.toBeDefined();
    const bulkOne = await loadEvent(caller.tenantId, (items[0] as { replayEventId: string }).replayEventId);
    expect(bulkOne?.trigger).toBe('bulk');
  });
});
