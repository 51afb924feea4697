import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  flushTelemetryWithin,
  INVOCATION_FLUSH_BOUND_MS,
  inSpan,
  recordTransaction,
  safeAttributes,
  shutdownTelemetry,
  type TelemetryAttributes,
  telemetryEnabled,
  telemetryModeFrom,
  traceProperties,
  useTelemetryExporters,
} from '../../shared/observability/telemetry';
import { SPAN_NAMES } from '../../shared/observability/telemetry-names';

/**
 * The telemetry switch (docs/telemetry.md): which exporter the environment picks, that everything is
 * a no-op when off, that attributes pass one allow-list. That registering the app loads no OpenTelemetry package is
 * test/integration/telemetry-cold-start.test.ts (it needs the built app).
 */

const CONNECTION = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/';

afterEach(async () => {
  await useTelemetryExporters();
  await shutdownTelemetry();
});

describe('telemetry mode', () => {
  it('is Application Insights with a connection string, with the managed identity of the authentication string', () => {
    expect(
      telemetryModeFrom({
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      }),
    ).toEqual({
      kind: 'azure-monitor',
      connectionString: CONNECTION,
      managedIdentityClientId: '11111111-2222-3333-4444-555555555555',
    });
  });

  it('is OTLP with only an endpoint, off with neither, off when HUB_TELEMETRY=off, off on unreadable settings', () => {
    expect(telemetryModeFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({
      kind: 'otlp',
      endpoint: 'http://127.0.0.1:4318',
    });
    expect(telemetryModeFrom({})).toEqual({ kind: 'off' });
    expect(telemetryModeFrom({ HUB_TELEMETRY: 'off', APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION })).toEqual({
      kind: 'off',
    });
    expect(telemetryModeFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toEqual({ kind: 'off' });
  });
});

describe('telemetry off', () => {
  it('emits nothing, runs spans straight through and adds no trace properties', async () => {
    const previous = { ...process.env };
    delete process.env['APPLICATIONINSIGHTS_CONNECTION_STRING'];
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    try {
      await shutdownTelemetry();
      expect(telemetryEnabled()).toBe(false);
      recordTransaction({ type: 'inbound_webhook', outcome: 'failed', code: 'invalid_signature', tenantId: 't' });
      const result = await inSpan(SPAN_NAMES.queueSend, { kind: 'producer' }, async (span) => {
        span.set({ queue: 'q' });
        span.fail('x');
        return traceProperties();
      });
      expect(result).toEqual({});
    } finally {
      process.env = previous;
    }
  });
});

describe('attributes', () => {
  it('keep only known keys with scalar values, strings capped', () => {
    const given = {
      tenantId: 't1',
      code: 401,
      authorization: 'Bearer abc',
      body: '{"secret":1}',
      eventId: 'x'.repeat(1000),
    } as unknown as TelemetryAttributes;
    const out = safeAttributes(given);
    expect(Object.keys(out).sort()).toEqual(['code', 'eventId', 'tenantId']);
    expect(String(out['eventId']).length).toBe(256);
  });
});

describe('flush at the end of an invocation', () => {
  it('is a no-op when telemetry is off, and loads nothing', async () => {
    expect(await flushTelemetryWithin(10)).toBe('nothing');
  });

  it('sends what is buffered, or gives up at the bound when the exporter does not answer', async () => {
    const sent: string[] = [];
    let hold = false;
    const held: Array<() => void> = [];
    const exporter: SpanExporter = {
      export: (batch, done) => {
        sent.push(...batch.map((s) => s.name));
        // A stuck export: it reports back only when the test lets it go.
        if (hold) held.push(() => done({ code: 0 }));
        else done({ code: 0 });
      },
      shutdown: async () => undefined,
    };
    await useTelemetryExporters({ spans: exporter });
    await inSpan(SPAN_NAMES.vendorCall, { kind: 'client' }, async () => undefined);
    expect(await flushTelemetryWithin(INVOCATION_FLUSH_BOUND_MS)).toBe('flushed');
    expect(sent).toEqual([SPAN_NAMES.vendorCall]);
    hold = true;
    await inSpan(SPAN_NAMES.outboundAttempt, { kind: 'client' }, async () => undefined);
    expect(await flushTelemetryWithin(20)).toBe('timed_out');
    for (const release of held) release();
    expect(await flushTelemetryWithin(INVOCATION_FLUSH_BOUND_MS)).toBe('flushed');
  });
});
