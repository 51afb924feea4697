import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/app/services';
import { installClock, ManualClock } from '../../shared/clock';
import { tenantsOfDay } from '../../shared/events/event-days';
import { indexPartition, loadEvent, loadEventRecord, payloadStore, updateEvent } from '../../shared/events/event-store';
import { eventTables } from '../../shared/events/tables';
import { loadTimeline, recordStage } from '../../shared/events/timeline';
import { failureOfEvent, groupFailures, recordEventFailure } from '../../shared/failures/analysis';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { RECEIVE_CRASH_POINTS } from '../../shared/inbound/receive';
import { purgeExpiredEvents } from '../../shared/inbound/retention';
import { sweepStuckEvents } from '../../shared/inbound/stuck-events';
import { createWebhook } from '../../shared/inbound/webhooks';
import { timeBucket } from '../../shared/storage/keys';
import { installLocalSettings } from '../support/local-settings';
import { ownYearStart } from '../support/own-year';
import { receiveHarness } from '../support/receive-harness';

/**
 * Inbound housekeeping on the injected clock, against Azurite: retention purges whole tenant-days
 * past EVENT_RETENTION_DAYS (events, timelines, index rows, blobs, dedup rows, failures,
 * rejections) found through `eventdays`, a bounded number per run; the stuck-event sweep re-sends
 * validation for a `received` event whose receiver crashed before the queue send, and fails a
 * `processing` event nothing will move again with a Failure Analysis.
 *
 * Both walk a cross-tenant table, so each test lives on its own far-future dates: the purge and the
 * sweep only look at days near the clock, never at rows other test files write at the same time.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;

beforeAll(() => {
  installLocalSettings();
  setCrashHandler((name) => {
    throw new Error(`crash point ${name}`);
  });
});

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
  disarmCrashPoints();
});

/** A clock in a year of its own (te../support/own-year.ts): the sweeps here walk every tenant of their days. */
function ownClock(): ManualClock {
  const clock = new ManualClock(ownYearStart('inbound-housekeeping'));
  restoreClock = installClock(clock);
  return clock;
}

/** A tenant with a generic webhook receiver whose `post` signs the body with the webhook's secret. */
function harness() {
  const h = receiveHarness('generic');
  const post = (webhookId: string, secret: string, body: string, deliveryId: string = randomUUID()) => {
    const sig = createHmac('sha256', secret).update(body).digest('hex');
    return h.post(webhookId, body, { 'x-webhook-signature': `sha256=${sig}`, 'x-webhook-id': deliveryId });
  };
  return { ...h, post };
}

function eventIdOf(result: unknown): string {
  const id = (result as { body?: { eventId?: string } }).body?.eventId;
  if (!id) throw new Error(`not accepted: ${JSON.stringify(result)}`);
  return id;
}

async function tenantDays(day: string): Promise<string[]> {
  const out: string[] = [];
  for await (const t of tenantsOfDay(day)) out.push(t);
  return out;
}

describe('event retention', () => {
  it('purges a whole tenant-day past the retention with everything hanging off it, keeps the next day, and a re-sent delivery is new again', async () => {
    const clock = ownClock();
    const h = harness();
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
    const oldDay = timeBucket(clock.now(), 'day');

    // Day 0: a large event (blob), with a timeline, index rows and a failure; and a rejection.
    const big = JSON.stringify({ type: 'alert.triggered', subject: 'disk_full', data: { pad: 'x'.repeat(40_000) } });
    const oldId = eventIdOf(await h.post(hook.id, hook.secret, big, 'delivery-old'));
    const oldRecord = (await loadEventRecord(h.tenantId, oldId))!.record;
    expect(oldRecord.payloadBlob).toBeTruthy();
    await recordStage(h.tenantId, oldId, {
      stage: 'validation',
      step: 'main',
      attempt: 0,
      outcome: 'failed',
      startedAt: new Date(clock.now()).toISOString(),
      finishedAt: new Date(clock.now()).toISOString(),
      durationMs: 0,
      errorType: 'validation_error',
    });
    await updateEvent(h.tenantId, oldId, { status: 'failed', stage: 'validation', errorType: 'validation_error' });
    await recordEventFailure({
      tenantId: h.tenantId,
      eventId: oldId,
      webhookId: hook.id,
      source: 'generic',
      stage: 'validation',
      errorType: 'validation_error',
      message: 'bad',
      suggestedFix: 'fix it',
      metadata: {},
    });
    expect(await h.post(hook.id, 'whsec_wrong', '{"type":"a.b"}')).toEqual({ status: 0, code: 'signature_invalid' });
    expect(await tenantDays(oldDay)).toContain(h.tenantId);

    // Day 1: an event that must stay.
    clock.advance(DAY);
    const keptId = eventIdOf(await h.post(hook.id, hook.secret, '{"type":"alert.triggered"}'));

    // 30 days after day 0 nothing is due yet (day 0 is not wholly past the cutoff) …
    clock.advance(29 * DAY);
    expect(await purgeExpiredEvents({ retentionDays: 30 })).toMatchObject({ events: 0, failures: 0 });
    expect(await loadEvent(h.tenantId, oldId)).toBeDefined();

    // … one day later day 0 is.
    clock.advance(DAY);
    const result = await purgeExpiredEvents({ retentionDays: 30 });
    expect(result).toEqual({ events: 1, failures: 2, days: 1, more: false });
    expect(await loadEvent(h.tenantId, oldId)).toBeUndefined();
    expect(await loadTimeline(h.tenantId, oldId)).toEqual([]);
    expect(await failureOfEvent(h.tenantId, oldId)).toBeUndefined();
    expect(await payloadStore().get(oldRecord.payloadBlob!)).toBeUndefined();
    const t = eventTables(services().account);
    for (const [dimension, value] of [
      ['status', 'failed'],
      ['source', 'generic'],
      ['stage', 'validation'],
      ['errorType', 'validation_error'],
    ] as const) {
      expect(await t.index.get(indexPartition(h.tenantId, dimension, value, oldDay), oldId)).toBeUndefined();
    }
    const rejections = await groupFailures(h.tenantId, clock.now() - 40 * DAY, clock.now());
    expect(rejections.total).toBe(0);
    expect(await tenantDays(oldDay)).not.toContain(h.tenantId);
    expect(await loadEvent(h.tenantId, keptId)).toMatchObject({ id: keptId });

    // The dedup row went with the event: the vendor re-sending that old delivery is a new event.
    const again = await h.post(hook.id, hook.secret, big, 'delivery-old');
    expect((again as { status: number }).status).toBe(202);
    expect(eventIdOf(again)).not.toBe(oldId);
  });

  it('stops at its limit per run and finishes on the next one', async () => {
    const clock = ownClock();
    const h = harness();
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(eventIdOf(await h.post(hook.id, hook.secret, `{"type":"a.b","n":${i}}`)));
    clock.advance(32 * DAY);
    expect(await purgeExpiredEvents({ retentionDays: 30, limit: 2 })).toEqual({
      events: 2,
      failures: 0,
      days: 0,
      more: true,
    });
    expect((await Promise.all(ids.map((id) => loadEvent(h.tenantId, id)))).filter(Boolean)).toHaveLength(1);
    expect(await purgeExpiredEvents({ retentionDays: 30, limit: 2 })).toEqual({
      events: 1,
      failures: 0,
      days: 1,
      more: false,
    });
    expect((await Promise.all(ids.map((id) => loadEvent(h.tenantId, id)))).filter(Boolean)).toHaveLength(0);
  });
});

describe('stuck-event sweep', () => {
  it('re-sends validation for an event whose receiver crashed before the queue send, once the threshold has passed', async () => {
    const clock = ownClock();
    const h = harness();
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
    armCrashPoint(RECEIVE_CRASH_POINTS.afterEventRow);
    await expect(h.post(hook.id, hook.secret, '{"type":"alert.triggered"}', 'lost-send')).rejects.toThrow(
      /crash point/,
    );
    expect(h.sent).toEqual([]);
    // The sender never comes back. The event row is there, `received`, with nothing in flight.
    const [tenantDay] = await tenantDays(timeBucket(clock.now(), 'day')).then((d) => d.filter((t) => t === h.tenantId));
    expect(tenantDay).toBe(h.tenantId);

    clock.advance(HOUR);
    expect(await sweepStuckEvents(h.deps, { stuckMinutes: 120 })).toEqual({ reenqueued: 0, failed: 0, more: false });
    clock.advance(HOUR + 60_000);
    expect(await sweepStuckEvents(h.deps, { stuckMinutes: 120 })).toEqual({ reenqueued: 1, failed: 0, more: false });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.queue).toBe('validation');
    const eventId = h.sent[0]!.options.messageId.split(':')[0]!;
    expect(h.sent[0]!.options.messageId).toBe(`${eventId}:validation:main:0`);
    expect(await loadEvent(h.tenantId, eventId)).toMatchObject({ status: 'received' });
    // Touched: the next run waits a whole threshold before sending again.
    expect(await sweepStuckEvents(h.deps, { stuckMinutes: 120 })).toMatchObject({ reenqueued: 0 });
  });

  it('fails processing events nothing will move again — crashed, or outcome_unknown at the tool call — and leaves approvals alone', async () => {
    const clock = ownClock();
    const h = harness();
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
    const at = async (stage: 'agent_execution' | 'tool_call', status: 'processing' | 'awaiting_approval') => {
      const id = eventIdOf(await h.post(hook.id, hook.secret, `{"type":"ticket.created","s":"${stage}${status}"}`));
      await updateEvent(h.tenantId, id, { status, stage, sopId: 'sop-1', agentRunId: `run-${id}` });
      return id;
    };
    const crashed = await at('agent_execution', 'processing');
    const unknown = await at('tool_call', 'processing');
    const waiting = await at('agent_execution', 'awaiting_approval');

    clock.advance(2 * HOUR + 60_000);
    expect(await sweepStuckEvents(h.deps, { stuckMinutes: 120 })).toEqual({ reenqueued: 0, failed: 2, more: false });

    expect(await loadEvent(h.tenantId, crashed)).toMatchObject({ status: 'failed', stage: 'agent_execution' });
    const crashedFailure = await failureOfEvent(h.tenantId, crashed);
    expect(crashedFailure).toMatchObject({ stage: 'agent_execution', errorType: 'crashed', catalogCode: 'crashed' });
    expect(crashedFailure!.suggestedFix).toContain('corr');
    expect(crashedFailure!.metadata).toMatchObject({ detectedBy: 'stuck-event-sweep', sopId: 'sop-1' });

    expect(await loadEvent(h.tenantId, unknown)).toMatchObject({ status: 'failed', stage: 'tool_call' });
    expect(await failureOfEvent(h.tenantId, unknown)).toMatchObject({
      stage: 'tool_call',
      errorType: 'outcome_unknown',
    });

    expect(await loadEvent(h.tenantId, waiting)).toMatchObject({ status: 'awaiting_approval' });
    expect(await failureOfEvent(h.tenantId, waiting)).toBeUndefined();
    // Found through the failed filter afterwards, like any failure.
    const groups = await groupFailures(h.tenantId, clock.now() - DAY, clock.now());
    expect(groups.groups.map((g) => `${g.stage}/${g.errorType}`).sort()).toEqual([
      'agent_execution/crashed',
      'tool_call/outcome_unknown',
    ]);
  });
});
