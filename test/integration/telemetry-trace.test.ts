import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../shared/bus/port';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { consumeTraced } from '../../shared/bus/trace-context';
import { reportQueueBacklog } from '../../shared/observability/queue-backlog';
import {
  flushTelemetry,
  inSpan,
  recordDeliveryGaveUp,
  recordDeliveryOutcome,
  recordEvent,
  recordProbeStateChange,
  recordReplayGuardHit,
  recordSyncRun,
  recordTransaction,
  shutdownTelemetry,
  useTelemetryExporters,
} from '../../shared/observability/telemetry';
import {
  EVENT_NAMES,
  METRIC_NAMES,
  SPAN_NAMES,
  TRACEPARENT_PROPERTY,
} from '../../shared/observability/telemetry-names';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { createVendorHttp } from '../../shared/vendors/core/vendor-http';

/**
 * One event's trace as production builds it: a receive span sends to a stage queue on the emulated
 * bus (real Azurite), the stage's consumer continues the trace from the message's application
 * properties, calls a vendor over loopback HTTP with a credential and a body, and sends on to the
 * next queue, whose consumer ends the run. An in-memory exporter collects every span and metric,
 * and a scan proves no secret, credential or body reached any of them.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomUUID().slice(0, 8);
const firstQueue = `tel-${suffix}-a`;
const secondQueue = `tel-${suffix}-b`;

const SECRET = `vendor-secret-${randomUUID()}`;
const BODY_MARKER = `payload-marker-${randomUUID()}`;
const WEBHOOK_SECRET = `whsec-${randomUUID()}`;

const spans = new InMemorySpanExporter();
const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
let vendor: Server;
let vendorUrl = '';
const vendorHeaders: IncomingMessage['headers'][] = [];

beforeAll(async () => {
  await useTelemetryExporters({ spans, metrics });
  vendor = createServer((req, res) => {
    vendorHeaders.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id: 1, echo: BODY_MARKER }));
    });
  });
  await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
  vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/v1/things?apiKey=${SECRET}`;
});

afterAll(async () => {
  await shutdownTelemetry();
  await new Promise<void>((resolve) => vendor.close(() => resolve()));
});

function everythingEmitted(collected: ReadableSpan[]): string {
  return JSON.stringify({
    spans: collected.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      status: s.status,
      events: s.events,
      links: s.links,
      resource: s.resource.attributes,
    })),
    metrics: metrics.getMetrics(),
  });
}

describe('telemetry across a webhook, its stage hops and a vendor call', () => {
  it('is one trace, carries the correlation id, and holds no secret, credential or body', async () => {
    const bus = new StorageQueueBus(account, { lockDurationSeconds: 5, maxHideSeconds: 1 });
    const http = createVendorHttp({
      vendor: 'autotask',
      policy: { allowHttp: true, allowLoopback: true, allowPrivate: false, allowedPrivateHosts: [] },
    });
    const seen: ReceivedMessage[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });

    const stage = bus.startConsumer(
      firstQueue,
      (message) =>
        consumeTraced(firstQueue, message, async () => {
          seen.push(message);
          await http.request({
            operation: 'things.create',
            method: 'POST',
            url: vendorUrl,
            headers: { Authorization: `Bearer ${SECRET}`, 'X-Webhook-Secret': WEBHOOK_SECRET },
            json: { note: BODY_MARKER },
          });
          await bus.send(
            secondQueue,
            { marker: BODY_MARKER },
            {
              messageId: `${message.messageId}:next`,
              correlationId: message.correlationId ?? 'missing',
              applicationProperties: { tenantId: 'tenant-1', eventId: 'event-1', stage: 'sop_matching' },
            },
          );
          return { kind: 'complete' };
        }),
      { pollIntervalMs: 50, maxPollIntervalMs: 200 },
    );
    const last = bus.startConsumer(
      secondQueue,
      (message) =>
        consumeTraced(secondQueue, message, async () => {
          seen.push(message);
          finished();
          return { kind: 'complete' };
        }),
      { pollIntervalMs: 50, maxPollIntervalMs: 200 },
    );

    await inSpan(SPAN_NAMES.webhookReceive, { kind: 'server', attributes: { webhookId: 'wh-1' } }, async (span) => {
      span.set({ correlationId: 'corr-telemetry-1', tenantId: 'tenant-1' });
      await bus.send(
        firstQueue,
        { marker: BODY_MARKER, secret: WEBHOOK_SECRET },
        {
          messageId: `event-1:validation:main:0`,
          correlationId: 'corr-telemetry-1',
          applicationProperties: { tenantId: 'tenant-1', eventId: 'event-1', stage: 'validation' },
        },
      );
    });
    await done;
    await stage.stop();
    await last.stop();

    recordTransaction({ type: 'inbound_webhook', outcome: 'succeeded', code: 202, tenantId: 'tenant-1' });
    recordProbeStateChange({
      tenantId: 'tenant-1',
      integrationId: 'int-1',
      vendor: 'autotask',
      from: 'connected',
      to: 'needs_attention',
    });
    recordDeliveryOutcome({ tenantId: 'tenant-1', subscriptionId: 'sub-1', outcome: 'failed', code: '500' });
    recordReplayGuardHit({ tenantId: 'tenant-1', guard: 'replay_cooldown' });
    recordDeliveryGaveUp({
      tenantId: 'tenant-1',
      subscriptionId: 'sub-1',
      deliveryId: 'del-1',
      reason: 'attempts_exhausted',
      code: 'tls',
      catalogCode: 'tls',
    });
    // Team routing's events (shared/routing), as its decisions and errors record them.
    recordEvent(EVENT_NAMES.ticketRouted, {
      tenantId: 'tenant-1',
      vendor: 'halopsa',
      teamId: 'team-1',
      routedBy: 'rule',
    });
    recordEvent(EVENT_NAMES.ticketReassigned, {
      tenantId: 'tenant-1',
      vendor: 'halopsa',
      teamId: 'team-2',
      routedBy: 'manual',
    });
    recordEvent(EVENT_NAMES.routingFailed, { tenantId: 'tenant-1', vendor: 'autotask', code: 'no_team' });
    // A finished sync run (shared/sync/metrics-telemetry.ts): counts and a code, never records.
    recordSyncRun({
      tenantId: 'tenant-1',
      integrationId: 'int-2',
      syncRunId: 'run-1',
      vendor: 'halopsa',
      entity: 'clients,tickets',
      outcome: 'failed',
      durationMs: 1200,
      records: 300,
      warnings: 2,
      code: '429',
    });
    await flushTelemetry();
    // A copy: the exporter's list grows with the backlog's own queue send below.
    const collected = [...spans.getFinishedSpans()];
    // The backlog gauge from the real queues of this run: one message left waiting in the second.
    await bus.send(secondQueue, { note: BODY_MARKER }, { messageId: `backlog-${suffix}` });
    await reportQueueBacklog(bus, [firstQueue, secondQueue]);
    await flushTelemetry();

    // The hop carried W3C trace context in the message's application properties.
    for (const message of seen)
      expect(message.applicationProperties[TRACEPARENT_PROPERTY]).toMatch(/^00-[0-9a-f]{32}-/);

    const names = collected.map((s) => s.name);
    expect(names.filter((n) => n === SPAN_NAMES.webhookReceive)).toHaveLength(1);
    expect(names.filter((n) => n === SPAN_NAMES.queueSend)).toHaveLength(2);
    expect(names.filter((n) => n === SPAN_NAMES.queueProcess)).toHaveLength(2);
    expect(names.filter((n) => n === SPAN_NAMES.vendorCall)).toHaveLength(1);
    // One trace: every hub span shares the receive span's trace id, and the Azure SDK's storage calls
    // made inside it join it. (The consumers' idle polls are storage calls outside any event: their own traces.)
    const receive = collected.find((s) => s.name === SPAN_NAMES.webhookReceive)!;
    const hubNames = new Set<string>(Object.values(SPAN_NAMES));
    const hubSpans = collected.filter((s) => hubNames.has(s.name));
    expect(hubSpans.every((s) => s.spanContext().traceId === receive.spanContext().traceId)).toBe(true);
    const storageCalls = collected.filter(
      (s) =>
        s.attributes['azureNamespace'] === 'Microsoft.Storage' &&
        s.spanContext().traceId === receive.spanContext().traceId,
    );
    expect(storageCalls.length).toBeGreaterThan(0);
    expect(
      collected.every((s) => s.attributes['url.full'] === undefined && s.attributes['http.url'] === undefined),
    ).toBe(true);
    const consumers = collected.filter((s) => s.name === SPAN_NAMES.queueProcess);
    expect(consumers.every((s) => s.attributes['correlationId'] === 'corr-telemetry-1')).toBe(true);
    const call = collected.find((s) => s.name === SPAN_NAMES.vendorCall)!;
    expect(call.attributes).toMatchObject({ vendor: 'autotask', httpMethod: 'POST', httpStatus: 200 });
    // The vendor was not handed our trace ids.
    expect(vendorHeaders.every((h) => h['traceparent'] === undefined)).toBe(true);

    const emitted = metrics.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const metricNames = emitted.map((m) => m.descriptor.name);
    expect(metricNames).toEqual(
      expect.arrayContaining([
        METRIC_NAMES.transactions,
        METRIC_NAMES.probeStateChanges,
        METRIC_NAMES.deliveryOutcomes,
        METRIC_NAMES.replayGuardHits,
        METRIC_NAMES.queueBacklog,
      ]),
    );
    const backlog = emitted.find((m) => m.descriptor.name === METRIC_NAMES.queueBacklog);
    const points = (backlog?.dataPoints ?? []).map((p) => ({
      queue: p.attributes['queue'],
      deadLetter: p.attributes['deadLetter'],
      value: p.value,
    }));
    expect(points).toEqual(
      expect.arrayContaining([
        { queue: firstQueue, deadLetter: false, value: 0 },
        { queue: firstQueue, deadLetter: true, value: 0 },
        { queue: secondQueue, deadLetter: true, value: 0 },
      ]),
    );
    expect(points.find((p) => p.queue === secondQueue && p.deadLetter === false)?.value).toBeGreaterThanOrEqual(1);

    // Events: zero-length internal spans with the allow-listed attributes only.
    const events = collected.filter((s) => (Object.values(EVENT_NAMES) as string[]).includes(s.name));
    expect(events.map((e) => e.name).sort()).toEqual(Object.values(EVENT_NAMES).sort());
    expect(events.find((e) => e.name === EVENT_NAMES.probeStateChanged)?.attributes).toEqual({
      tenantId: 'tenant-1',
      integrationId: 'int-1',
      vendor: 'autotask',
      fromState: 'connected',
      toState: 'needs_attention',
    });
    expect(events.find((e) => e.name === EVENT_NAMES.deliveryGaveUp)?.attributes).toMatchObject({
      reason: 'attempts_exhausted',
      code: 'tls',
      catalogCode: 'tls',
    });

    // Everything, the backlog's own queue send included.
    const text = everythingEmitted(spans.getFinishedSpans());
    for (const forbidden of [SECRET, WEBHOOK_SECRET, BODY_MARKER, 'Bearer', 'apiKey=', '/v1/things']) {
      expect(text).not.toContain(forbidden);
    }
  }, 60_000);

  it('a failed vendor call marks its span failed with the status, not the answer', async () => {
    spans.reset();
    const http = createVendorHttp({
      vendor: 'autotask',
      policy: { allowHttp: false, allowLoopback: false, allowPrivate: false, allowedPrivateHosts: [] },
    });
    await expect(
      http.request({
        operation: 'things.read',
        method: 'GET',
        url: vendorUrl,
        headers: { Authorization: `Bearer ${SECRET}` },
      }),
    ).rejects.toThrow();
    await flushTelemetry();
    const [call] = spans.getFinishedSpans();
    expect(call?.name).toBe(SPAN_NAMES.vendorCall);
    expect(call?.status.code).toBe(2);
    expect(JSON.stringify({ a: call?.attributes, s: call?.status, e: call?.events })).not.toContain(SECRET);
  });
});
