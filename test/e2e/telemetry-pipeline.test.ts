import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SPAN_NAMES } from '../../shared/observability/telemetry-names';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { arrangeDiskFullSop, postAutotaskTicket } from '../support/autotask-pipeline';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * The local host with OTEL_EXPORTER_OTLP_ENDPOINT pointed at a loopback OTLP/HTTP receiver in this
 * test: a signed Autotask webhook runs through every stage to a note on the fake Autotask, and the
 * spans that arrive form one trace from the receive to the vendor call. Every byte exported is then
 * scanned for the vendor credentials, the webhook secret, the API key and the payload.
 */

const attributeSchema = z.object({
  key: z.string(),
  value: z.object({ stringValue: z.string().optional(), intValue: z.union([z.string(), z.number()]).optional() }),
});
const spanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  name: z.string(),
  attributes: z.array(attributeSchema).default([]),
});
const exportSchema = z.object({
  resourceSpans: z.array(z.object({ scopeSpans: z.array(z.object({ spans: z.array(spanSchema) })) })),
});
type ExportedSpan = z.infer<typeof spanSchema>;

const raw: string[] = [];
const spans: ExportedSpan[] = [];
let collector: Server;
let host: HostProcess;
let key: string;
let tenantId: string;
const autotask = new AutotaskFake();

const attribute = (span: ExportedSpan, name: string): string | undefined => {
  const found = span.attributes.find((a) => a.key === name)?.value;
  return found?.stringValue ?? (found?.intValue !== undefined ? String(found.intValue) : undefined);
};

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      raw.push(text);
      const parsed = exportSchema.safeParse(JSON.parse(text));
      if (parsed.success) {
        for (const r of parsed.data.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  await autotask.start();
  const env = sharedAzuriteEnv({
    LOCAL_TIMERS: 'manual',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
  });
  key = env.BOOTSTRAP_API_KEY!;
  tenantId = env.BOOTSTRAP_TENANT_ID!;
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await host?.stop();
  await autotask.stop();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

describe('telemetry from the local host', () => {
  it('one trace from webhook receive through every stage to the vendor call, with nothing secret exported', async () => {
    const { integration, sop, webhook } = await arrangeDiskFullSop(host.baseUrl, key, autotask.baseUrl);
    expect([integration.status, sop.status, webhook.status]).toEqual([201, 201, 201]);
    const secret = String(webhook.json.secret);
    const title = 'Disk full on SRV01 telemetry-marker';
    const received = await postAutotaskTicket(
      host.baseUrl,
      { id: String(webhook.json.id), secret },
      { id: 4712, fields: { Title: title, Priority: 2 } },
    );
    expect(received.status).toBe(202);
    const eventId = String(received.json.eventId);
    await eventually(async () => {
      const found = await call(host.baseUrl, 'GET', `/api/v1/events/${eventId}`, { key });
      return found.status === 200 && found.json.status === 'succeeded' ? true : undefined;
    }, 60_000);
    expect(autotask.received('POST', '/ATServicesRest/V1.0/Tickets/4712/Notes')).toHaveLength(1);

    // The batch processor exports on its own schedule: wait for the tool call's vendor span.
    const trace = await eventually(() => {
      const receive = spans.find(
        (s) => s.name === SPAN_NAMES.webhookReceive && attribute(s, 'webhookId') === String(webhook.json.id),
      );
      if (!receive) return undefined;
      const inTrace = spans.filter((s) => s.traceId === receive.traceId);
      const stages = new Set(
        inTrace.filter((s) => s.name === SPAN_NAMES.queueProcess).map((s) => attribute(s, 'stage')),
      );
      const vendorCall = inTrace.find((s) => s.name === SPAN_NAMES.vendorCall && attribute(s, 'vendor') === 'autotask');
      return stages.has('tool_call') && vendorCall ? { receive, inTrace, stages } : undefined;
    }, 60_000);

    expect([...trace.stages]).toEqual(
      expect.arrayContaining(['validation', 'sop_matching', 'agent_dispatch', 'agent_execution', 'tool_call']),
    );
    expect(attribute(trace.receive, 'tenantId')).toBe(tenantId);
    expect(
      trace.inTrace.filter((s) => s.name === SPAN_NAMES.queueProcess).every((s) => attribute(s, 'eventId') === eventId),
    ).toBe(true);

    const everything = raw.join('\n');
    for (const forbidden of [
      secret,
      key,
      FAKE_AUTOTASK_CREDENTIALS.secret,
      FAKE_AUTOTASK_CREDENTIALS.integrationCode,
      FAKE_AUTOTASK_CREDENTIALS.username,
      'telemetry-marker',
      '/ATServicesRest',
    ]) {
      expect(everything).not.toContain(forbidden);
    }
  }, 180_000);
});
