import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { ManualClock } from '../../shared/clock';
import { runAutomaticAttempt } from '../../shared/outbound/attempt';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { applyEndpointOutcomes } from '../../shared/outbound/endpoint-health';
import { EndpointTallies } from '../../shared/outbound/endpoint-tallies';
import { publishToSubscribers } from '../../shared/outbound/publish';
import { createSubscription, getSubscription } from '../../shared/outbound/subscriptions';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { outboundDeps, outboundFileHooks } from '../support/outbound-deps';
import { answer, type Receiver, type ReceiverHandler, startReceiver } from '../support/webhook-receiver';

/**
 * Counters and endpoint health written in batches (shared/outbound/endpoint-tallies.ts): the same
 * numbers as one write per attempt once the last attempt in progress has ended, nothing written
 * while another attempt is still running, and a batch of outcomes folded into one health write.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const counters = new Counters(counterTables(account));

function deps(tallies: EndpointTallies): OutboundDeps {
  return outboundDeps(account, counters, { tallies });
}

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

const { receivers, useClock } = outboundFileHooks();
async function receiver(handler: ReceiverHandler): Promise<Receiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

const ticket = { ticketId: 'T-1', title: 'Backup failed', priority: 'high' };

async function publishOne(d: OutboundDeps, who: Principal): Promise<string> {
  const started: string[] = [];
  await publishToSubscribers(
    d,
    who.tenantId,
    { type: 'ticket.created', data: ticket, source: 'admin' },
    {
      start: async (_t, id) => {
        started.push(id);
        return 'started';
      },
    },
  );
  return started[0]!;
}

describe('batched counters and endpoint health', () => {
  it('the same success rate, streak and disable as one write per attempt, written when the last attempt ends', async () => {
    const clock = new ManualClock(Date.now());
    useClock(clock);
    const tallies = new EndpointTallies();
    const d = deps(tallies);
    const who = caller();
    const r = await receiver(answer(200));
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const attempt = async () => {
      const id = await publishOne(d, who);
      await tallies.track(d, () => runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: id, k: 1 }));
    };
    await attempt();
    expect(tallies.size).toBe(0);
    r.respond(answer(502));
    for (let i = 0; i < 3; i++) {
      await attempt();
      clock.advance(24 * 3_600_000);
    }
    let view = await getSubscription(d, who.tenantId, sub.id);
    expect(view.enabled).toBe(true);
    expect(view.health).toMatchObject({ attempts: 4, successes: 1, successRate: 0.25, consecutiveFailures: 3 });
    clock.advance(2 * 24 * 3_600_000);
    await attempt();
    view = await getSubscription(d, who.tenantId, sub.id);
    expect(view.enabled).toBe(false);
    expect(view.disabledReason).toMatch(/no successful delivery for 120 hours/);
    expect(view.health.consecutiveFailures).toBe(4);
  });

  it('while another attempt is in progress nothing is written; its end writes both in one batch', async () => {
    const tallies = new EndpointTallies();
    const d = deps(tallies);
    const who = caller();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived: () => void = () => undefined;
    const firstArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // The first request is held open until the test releases it; the second is answered at once.
    const r = await receiver(async (_req, n, res) => {
      if (n === 1) {
        arrived();
        await held;
      }
      res.writeHead(200).end('ok');
    });
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const slowId = await publishOne(d, who);
    const quickId = await publishOne(d, who);
    const slow = tallies.track(d, () => runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: slowId, k: 1 }));
    await firstArrived;
    await tallies.track(d, () => runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: quickId, k: 1 }));
    expect(tallies.size).toBe(1);
    expect((await getSubscription(d, who.tenantId, sub.id)).health).toMatchObject({ attempts: 0, successes: 0 });
    release();
    await slow;
    expect(tallies.size).toBe(0);
    expect((await getSubscription(d, who.tenantId, sub.id)).health).toMatchObject({
      attempts: 2,
      successes: 2,
      consecutiveFailures: 0,
    });
  });

  it('a batch of outcomes is folded into one health write: the last success resets, later failures start the streak', async () => {
    const tallies = new EndpointTallies();
    const d = deps(tallies);
    const who = caller();
    const t0 = Date.UTC(2026, 4, 1, 9);
    const at = (m: number) => t0 + m * 60_000;
    const folded = await applyEndpointOutcomes(d, who.tenantId, 'sub-a', [
      { success: false, statusCode: 500, error: 'HTTP 500', at: at(0) },
      { success: true, statusCode: 200, at: at(1) },
      { success: false, statusCode: 503, error: 'HTTP 503', at: at(2) },
      { success: false, error: 'timed out', at: at(3) },
    ]);
    expect(folded).toEqual({
      consecutiveFailures: 2,
      lastSuccessAt: new Date(at(1)).toISOString(),
      failingSince: new Date(at(2)).toISOString(),
      lastFailureAt: new Date(at(3)).toISOString(),
      lastError: 'timed out',
    });
    // Failures only: they extend the stored streak (under its ETag), keeping when it started.
    const extended = await applyEndpointOutcomes(d, who.tenantId, 'sub-a', [
      { success: false, statusCode: 502, error: 'HTTP 502', at: at(4) },
    ]);
    expect(extended).toMatchObject({
      consecutiveFailures: 3,
      failingSince: new Date(at(2)).toISOString(),
      lastStatusCode: 502,
    });
    expect((await d.tables.health.get(who.tenantId, 'sub-a'))?.value).toEqual(extended);
  });

  it('under load a full batch is written without waiting for the process to go idle', async () => {
    const tallies = new EndpointTallies({ everyAttempts: 2 });
    const d = deps(tallies);
    const who = caller();
    const base = { tenantId: who.tenantId, subscriptionId: 'sub-b', code: '200', statusCode: 200 };
    tallies.add(d, { ...base, success: true, at: Date.now() });
    expect(tallies.size).toBe(1);
    tallies.add(d, { ...base, success: true, at: Date.now() });
    // The second add started the flush; awaiting flush waits for the one in flight.
    expect(tallies.size).toBe(0);
    await tallies.flush(d);
    expect((await d.tables.health.get(who.tenantId, 'sub-b'))?.value.consecutiveFailures).toBe(0);
  });
});
