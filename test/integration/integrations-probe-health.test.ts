import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BusSender, ReceivedMessage } from '../../shared/bus/port';
import { NOT_DUE_HIDDEN_AGAIN, StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { installClock, ManualClock } from '../../shared/clock';
import { createIntegration } from '../../shared/integrations/integrations';
import { requestProbe } from '../../shared/probes/fan-out';
import { PROBE_QUEUE, type ProbeMessage, probeMessageId } from '../../shared/probes/probe-message';
import { handleProbeMessage } from '../../shared/probes/run-probe';
import { FLAP_WINDOW_MS, STUCK_CHECKING_MS } from '../../shared/probes/schedule';
import { integrationProbeHistory, integrationStatusReport } from '../../shared/probes/status';
import { endpointKey, OPEN_MS, TimeoutBreaker, TRIP_TIMEOUTS } from '../../shared/probes/timeout-breaker';
import type { VendorId } from '../../shared/vendors/contract';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import { DattoRmmFake } from '../fakes/datto-rmm';
import { ItGlueFake } from '../fakes/itglue';
import { gdapRelationship, M365FakeServer } from '../fakes/microsoft365';
import {
  adminOf,
  delivery,
  type Harness,
  harness,
  installLocalSettings,
  probeDepsFor,
  RecordingBus,
  recheckDelivery,
  statusDepsFor,
} from '../support/integrations-harness';
import { Signals } from '../support/wait';

/**
 * docs/design.md §7.2, §7.3 in-process: the probe handler, the planned-retry primitive on the emulated bus and
 * the status report against Azurite and the fakes, timed by a ManualClock — Retry-After, stuck
 * `checking`, flapping, expiring credentials and the analytics counters.
 */
const itglue = new ItGlueFake();
const rmm = new DattoRmmFake();
const m365 = new M365FakeServer();
let h: Harness;

beforeAll(async () => {
  installLocalSettings();
  h = harness();
  await Promise.all([itglue.start(), rmm.start(), m365.start()]);
});
afterAll(async () => {
  await Promise.all([itglue.stop(), rmm.stop(), m365.stop()]);
});

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
  for (const fake of [itglue, rmm, m365]) fake.clearFaults();
});

function manualClock(): ManualClock {
  const clock = new ManualClock(Date.now());
  restoreClock = installClock(clock);
  return clock;
}

const iso = (ms: number) => new Date(ms).toISOString();
const baseUrl: Partial<Record<VendorId, () => string>> = {
  itglue: () => itglue.baseUrl,
  'datto-rmm': () => rmm.baseUrl,
  microsoft365: () => m365.baseUrl,
};

async function saved(vendor: VendorId, tenantId: string, extraConfig: Record<string, unknown> = {}) {
  const created = await createIntegration(
    h.integrations,
    adminOf(tenantId),
    {
      vendor,
      name: `${vendor} under test`,
      credentials: FAKE_CREDENTIALS[vendor],
      config: { ...fakeConfig(vendor, baseUrl[vendor]!()), ...extraConfig },
    },
    { skipTest: true, correlationId: 'corr-test' },
  );
  return created.id;
}

async function statusOf(tenantId: string, id: string, bus: BusSender = new RecordingBus()) {
  const report = await integrationStatusReport(statusDepsFor(h, bus), tenantId);
  const item = report.items.find((i) => i.integrationId === id);
  if (!item) throw new Error(`no status for ${id}`);
  return item;
}

const itglueProbes = () => itglue.count('GET', '/organizations');

describe('429 Retry-After inside a probe run (ManualClock, emulated bus)', () => {
  it('parks the retry for the full Retry-After: retryAt is the 429 time + 120 s and the vendor hears nothing until then', async () => {
    const clock = manualClock();
    const hidden = new Signals<string>();
    const real = new StorageQueueBus(h.account, {
      lockDurationSeconds: 5,
      maxHideSeconds: 1,
      log: (_level, message, fields) => {
        if (message === NOT_DUE_HIDDEN_AGAIN) hidden.push(String(fields?.messageId));
      },
    });
    // Queue names of this test only: hosts of other test files consume the real probe queue.
    const prefix = `t${randomBytes(3).toString('hex')}-`;
    const bus: BusSender = { send: (queue, body, options) => real.send(prefix + queue, body, options) };
    const handled = new Signals<ProbeMessage>();
    const deps = probeDepsFor(h, bus);
    const tenantId = adminOf().tenantId;
    const id = await saved('itglue', tenantId);
    const consumer = real.startConsumer(
      prefix + PROBE_QUEUE,
      async (message: ReceivedMessage) => {
        const settlement = await handleProbeMessage(deps, message);
        handled.push(message.body as ProbeMessage);
        return settlement;
      },
      { pollIntervalMs: 50, maxPollIntervalMs: 100 },
    );
    try {
      itglue.injectFault({ kind: 'status', status: 429, headers: { 'Retry-After': '120' } }, { times: 1 });
      const before = itglueProbes();
      const rateLimitedAt = clock.now();
      const runId = await requestProbe(bus, tenantId, id, 'recheck');
      await handled.next((m) => m.runId === runId && m.attempt === 0);
      expect(itglueProbes() - before).toBe(1);

      const waiting = await statusOf(tenantId, id);
      expect(waiting.retryAt).toBe(iso(rateLimitedAt + 120_000));
      expect(waiting.state).not.toBe('checking');
      expect(waiting.lastError).toMatchObject({ status: 429, reason: 'rate_limited', catalogCode: '429' });

      const retryId = probeMessageId({ integrationId: id, runId, attempt: 1 });
      clock.advance(120_000 - 1);
      // Two receives that hid it again: at least one happened after the clock moved.
      await hidden.next((m) => m === retryId);
      await hidden.next((m) => m === retryId);
      expect(itglueProbes() - before).toBe(1);

      clock.advance(1);
      await handled.next((m) => m.runId === runId && m.attempt === 1);
      expect(itglueProbes() - before).toBe(2);
      const settled = await statusOf(tenantId, id);
      expect(settled).toMatchObject({ state: 'connected', lastError: null, retryAt: null });
      expect(settled.lastCheckAt).toBe(iso(rateLimitedAt + 120_000));
      const history = await integrationProbeHistory(statusDepsFor(h, bus), tenantId, id, 1);
      expect(history.items[0]).toMatchObject({ state: 'connected', attempts: 2 });
    } finally {
      await consumer.stop();
    }
  });
});

describe('a probe stuck in checking', () => {
  /** The status row a run leaves when its instance dies between the claim and the verdict. */
  async function crashedClaim(tenantId: string, id: string, at: number) {
    await h.health.status.upsert(tenantId, id, {
      vendor: 'itglue',
      state: 'checking',
      settledState: 'connected',
      checkingSince: iso(at),
      runId: 'tick-crashed',
      attempt: 0,
      transitions: '[]',
      lastCheckAt: iso(at - 300_000),
    });
  }

  it('is left alone for two minutes, then reset by the status page and probed again', async () => {
    const clock = manualClock();
    const tenantId = adminOf().tenantId;
    const id = await saved('itglue', tenantId);
    const deps = probeDepsFor(h, new RecordingBus());
    await crashedClaim(tenantId, id, clock.now());
    const before = itglueProbes();

    // A fresh claim belongs to a live run: another run and the status page do not interfere.
    await handleProbeMessage(deps, recheckDelivery(tenantId, id));
    expect(itglueProbes()).toBe(before);
    clock.advance(STUCK_CHECKING_MS - 1);
    const early = new RecordingBus();
    expect((await statusOf(tenantId, id, early)).state).toBe('checking');
    expect(early.probes(tenantId)).toEqual([]);

    clock.advance(2);
    const page = new RecordingBus();
    const reset = await statusOf(tenantId, id, page);
    expect(reset.state).toBe('connected');
    const [rerun] = page.probes(tenantId);
    expect(rerun).toMatchObject({ integrationId: id, trigger: 'stuck', attempt: 0 });

    await handleProbeMessage(deps, delivery(rerun!));
    expect(itglueProbes() - before).toBe(1);
    const after = await statusOf(tenantId, id);
    expect(after).toMatchObject({ state: 'connected', lastCheckAt: iso(clock.now()) });
  });

  it('is taken over by the next timer tick once older than two minutes', async () => {
    const clock = manualClock();
    const tenantId = adminOf().tenantId;
    const id = await saved('itglue', tenantId);
    await crashedClaim(tenantId, id, clock.now());
    clock.advance(STUCK_CHECKING_MS + 1);
    const before = itglueProbes();
    const tick: ProbeMessage = { v: 1, tenantId, integrationId: id, runId: 'tick-next', attempt: 0, trigger: 'timer' };
    await handleProbeMessage(probeDepsFor(h, new RecordingBus()), delivery(tick));
    expect(itglueProbes() - before).toBe(1);
    const row = await h.health.status.get(tenantId, id);
    expect(row?.value).toMatchObject({ state: 'connected', runId: 'tick-next' });
    expect(row?.value.checkingSince).toBeUndefined();
  });
});

describe('flapping', () => {
  it('is three state changes within the hour; older changes drop out of the count', async () => {
    const clock = manualClock();
    const tenantId = adminOf().tenantId;
    const id = await saved('itglue', tenantId);
    const deps = probeDepsFor(h, new RecordingBus());
    const probe = async (fails: boolean) => {
      if (fails) itglue.injectFault({ kind: 'status', status: 401 }, { times: 1, path: '/organizations' });
      await handleProbeMessage(deps, recheckDelivery(tenantId, id));
    };

    await probe(false); // first verdict: not a change
    await probe(true); // change 1
    expect((await statusOf(tenantId, id)).state).toBe('needs_attention');
    clock.advance(FLAP_WINDOW_MS + 60_000);
    await probe(false); // change 2 (change 1 is now older than an hour)
    clock.advance(60_000);
    await probe(true); // change 3, but only two inside the window
    expect((await statusOf(tenantId, id)).flapping).toBe(false);
    clock.advance(60_000);
    await probe(false); // change 4: three inside the window
    const flapping = await statusOf(tenantId, id);
    expect(flapping).toMatchObject({ state: 'connected', flapping: true });

    // No new changes: an hour later the same history no longer counts.
    clock.advance(FLAP_WINDOW_MS);
    expect((await statusOf(tenantId, id)).flapping).toBe(false);
  });
});

describe('credentials about to expire', () => {
  it('Datto RMM: a key expiring within two weeks is needs_attention with its date; a distant one is connected', async () => {
    const clock = manualClock();
    const tenantId = adminOf().tenantId;
    const soonDate = iso(clock.now() + 7 * 86_400_000).slice(0, 10);
    const soon = await saved('datto-rmm', tenantId, { apiKeyExpiresAt: soonDate });
    const later = await saved('datto-rmm', tenantId, {
      apiKeyExpiresAt: iso(clock.now() + 90 * 86_400_000).slice(0, 10),
    });
    const deps = probeDepsFor(h, new RecordingBus());
    await handleProbeMessage(deps, recheckDelivery(tenantId, soon));
    await handleProbeMessage(deps, recheckDelivery(tenantId, later));

    const warned = await statusOf(tenantId, soon);
    expect(warned.state).toBe('needs_attention');
    expect(warned.lastError).toMatchObject({ reason: 'expiring', status: 200, catalogCode: 'expiring' });
    expect(warned.lastError?.hint).toContain(`expires on ${soonDate}`);
    expect(warned.expiries).toEqual([{ what: 'Datto RMM API key', at: `${soonDate}T00:00:00.000Z` }]);
    expect(warned.lastSuccessAt).not.toBeNull();
    expect((await statusOf(tenantId, later)).state).toBe('connected');
  });

  it('Microsoft 365: an `expiring` GDAP relationship is needs_attention with its end date', async () => {
    const clock = manualClock();
    const tenantId = adminOf().tenantId;
    const end = iso(clock.now() + 10 * 86_400_000);
    const original = m365.relationships;
    m365.relationships = [
      ...original,
      gdapRelationship({
        status: 'expiring',
        endDateTime: end,
        displayName: 'Fabrikam helpdesk',
        customer: { tenantId: 'c0ffee00-0000-4000-8000-000000000001', displayName: 'Fabrikam' },
      }),
    ];
    try {
      const id = await saved('microsoft365', tenantId);
      await handleProbeMessage(probeDepsFor(h, new RecordingBus()), recheckDelivery(tenantId, id));
      const warned = await statusOf(tenantId, id);
      expect(warned.state).toBe('needs_attention');
      expect(warned.lastError?.hint).toContain('Fabrikam helpdesk');
      expect(warned.lastError?.hint).toContain(`expires on ${end.slice(0, 10)}`);
      expect(warned.expiries.map((e) => e.at)).toContain(end);
    } finally {
      m365.relationships = original;
    }
  });
});

describe('analytics counters', () => {
  it('each settled probe increments one probe counter by outcome and status, and counts one transaction', async () => {
    const clock = manualClock();
    const tenantId = adminOf().tenantId;
    const id = await saved('itglue', tenantId);
    const deps = probeDepsFor(h, new RecordingBus());
    await handleProbeMessage(deps, recheckDelivery(tenantId, id));
    await handleProbeMessage(deps, recheckDelivery(tenantId, id));
    itglue.injectFault({ kind: 'status', status: 401 }, { times: 1, path: '/organizations' });
    await handleProbeMessage(deps, recheckDelivery(tenantId, id));

    const totals = await h.counters.totals(tenantId, clock.now() - 3_600_000, clock.now(), 'day', {
      integrationType: 'prebuilt_integration',
      integrationId: id,
    });
    const byOutcome = Object.fromEntries(totals.map((t) => [`${t.outcome}/${t.code}`, t.count]));
    // The probe-state counters, and the prebuilt_integration transactions the dashboard reads
    // (docs/dashboard.md): a probe is one vendor call, succeeded or failed with the vendor's status.
    expect(byOutcome).toEqual({
      'probe_connected/200': 2,
      'probe_needs_attention/401': 1,
      'succeeded/200': 2,
      'failed/401': 1,
    });
    const hourly = await h.counters.totals(tenantId, clock.now(), clock.now(), 'hour', {
      integrationType: 'prebuilt_integration',
      integrationId: id,
      outcome: 'probe_connected',
    });
    expect(hourly.map((t) => t.count)).toEqual([2]);
  });
});

describe('an endpoint that keeps timing out', () => {
  it('is not probed for a minute after three timeouts, so its probes cannot hold every handler slot', async () => {
    const clock = manualClock();
    const tenantId = adminOf().tenantId;
    const id = await saved('itglue', tenantId);
    const breaker = new TimeoutBreaker();
    const bus = new RecordingBus();
    const deps = probeDepsFor(h, bus, { breaker });
    const stored = await h.integrations.tables.integrations.get(tenantId, id);
    // Three probes of this endpoint timed out on this instance (each would have held a slot 10 s).
    const key = endpointKey('itglue', JSON.parse(stored!.value.config));
    for (let i = 0; i < TRIP_TIMEOUTS; i++) breaker.record(key, 'timeout');

    const before = itglueProbes();
    await handleProbeMessage(deps, recheckDelivery(tenantId, id));
    expect(itglueProbes()).toBe(before);
    const waiting = await statusOf(tenantId, id);
    expect(waiting.lastError).toMatchObject({ reason: 'timeout', status: null, catalogCode: 'timeout' });
    expect(waiting.lastError?.hint).toContain('was not sent');
    expect(bus.probes(tenantId)).toMatchObject([{ integrationId: id, attempt: 1 }]);

    clock.advance(OPEN_MS);
    await handleProbeMessage(deps, recheckDelivery(tenantId, id));
    expect(itglueProbes() - before).toBe(1);
    expect((await statusOf(tenantId, id)).state).toBe('connected');
    expect(breaker.openFor(key)).toBe(0);
  });
});
