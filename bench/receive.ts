import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { startLocalHost } from '../local/host';
import { loadLocalSettings } from '../local/local-settings';
import { services } from '../shared/app/services';
import { processBus } from '../shared/bus/process-bus';
import { STAGE_QUEUES } from '../shared/events/contract';
import { loadEvent } from '../shared/events/event-store';
import { webhookDeps } from '../shared/inbound/deps';
import { createWebhook } from '../shared/inbound/webhooks';
import { setLogSink } from '../shared/observability/logger';
import { newestFirstId, tenantPartition, timeBucket } from '../shared/storage/keys';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../test/fakes/autotask';
import { countStorageOps, opsTable } from './storage-ops';

/**
 * Webhook receive (docs/benchmarks.md, "Webhook receive"), two modes:
 *
 *   node dist/bench/receive.js receive [seconds=10] [connections=32]
 *     POST /api/hooks/{id} through the local host (signature check, dedup insert, event row, the
 *     validation message) against a bare node:http server doing the same Azurite writes —
 *     conditional insert, event row, queue send — after the same HMAC check, in the same run,
 *     driven by autocannon. Only the receive function is loaded, so no consumer competes for CPU.
 *   node dist/bench/receive.js pipeline [events=200]
 *     The whole pipeline on the local host: N signed Autotask ticket webhooks matching a SOP that
 *     adds a note on a fake Autotask; time from the first POST until every event is `succeeded`,
 *     against the receive rate of the same run; storage operations per event by table and queue
 *     (counted at the SDKs' transport, bench/storage-ops.ts). Then, on the same Azurite, the
 *     storage-bound baseline — a bare loop doing the minimal persistence of an event (one insert,
 *     five queue hops, one terminal update) — and the plain loop (the same hops in memory).
 */
const ops = countStorageOps(() => process.env.DataStorage);
const root = resolve(__dirname, '..', '..');

function hostEnv(extra: Record<string, string>): void {
  Object.assign(process.env, {
    LOCAL_AZURITE: 'memory',
    LOCAL_AZURITE_BLOB_PORT: '0',
    LOCAL_AZURITE_QUEUE_PORT: '0',
    LOCAL_AZURITE_TABLE_PORT: '0',
    LOCAL_HTTP_PORT: '0',
    LOCAL_TIMERS: 'manual',
    LOCAL_FAKE_VENDORS: 'false',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'error',
    ...extra,
  });
  loadLocalSettings(root);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

interface Run {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function cannon(name: string, url: string, secret: string, seconds: number, connections: number): Promise<Run> {
  const body = JSON.stringify({
    type: 'alert.triggered',
    subject: 'disk_full on SRV01',
    severity: 'high',
    data: { pad: 'x'.repeat(1500) },
  });
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const result = await autocannon({
    url,
    method: 'POST',
    duration: seconds,
    connections,
    requests: [
      {
        method: 'POST',
        body,
        // A new vendor event id per request: every request is a first delivery, not a duplicate.
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          headers: {
            'content-type': 'application/json',
            'x-webhook-signature': signature,
            'x-webhook-id': randomUUID(),
          },
        }),
      },
    ],
  });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function benchReceive(seconds: number, connections: number): Promise<void> {
  hostEnv({ LOCAL_FUNCTIONS_GLOB: 'dist/functions/hooks-*.js' });
  const restoreLog = setLogSink(() => undefined);
  const host = await startLocalHost(root);
  const tenantId = host.settings.BOOTSTRAP_TENANT_ID;
  const hook = await createWebhook(webhookDeps(), { tenantId, keyId: 'bench', scopes: ['admin'] }, {}, 'bench');

  // The baseline: the same HMAC check and the three writes the receive path must do, nothing else.
  const account = services().account;
  const dedup = account.table('benchdedup');
  const events = account.table('benchevents');
  const queue = account.queueService().getQueueClient('bench-validation');
  await Promise.all([dedup.createTable(), events.createTable(), queue.createIfNotExists()]);
  /** `viaBus`: the queue send goes through the hub's bus port (on storage queues: its dedup ledger). */
  const bareServer = (viaBus: boolean) =>
    createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const expected = `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`;
        if (req.headers['x-webhook-signature'] !== expected) {
          res.writeHead(401).end();
          return;
        }
        const id = newestFirstId();
        const pk = tenantPartition(tenantId, timeBucket(Date.now(), 'day'));
        await dedup.createEntity({ partitionKey: tenantId, rowKey: String(req.headers['x-webhook-id']), eventId: id });
        await events.createEntity({
          partitionKey: pk,
          rowKey: id,
          status: 'received',
          payloadText: body.toString('utf8'),
        });
        if (viaBus) {
          await processBus().send('bench-validation', { eventId: id }, { messageId: `${id}:validation:main:0` });
        } else {
          await queue.sendMessage(JSON.stringify({ eventId: id, stage: 'validation' }));
        }
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ eventId: id }));
      })().catch(() => res.writeHead(500).end());
    });
  const bare = bareServer(false);
  const bareBus = bareServer(true);
  await new Promise<void>((ok) => bare.listen(0, '127.0.0.1', () => ok()));
  await new Promise<void>((ok) => bareBus.listen(0, '127.0.0.1', () => ok()));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/hooks`;
  const bareBusUrl = `http://127.0.0.1:${(bareBus.address() as AddressInfo).port}/hooks`;
  const hubUrl = `${host.http.baseUrl}/api/hooks/${hook.id}`;
  try {
    await cannon('warm-up', bareUrl, hook.secret, 2, connections);
    await cannon('warm-up', hubUrl, hook.secret, 2, connections);
    // Alternate, twice each, so drift in the machine's load hits both sides alike.
    const runs: Run[] = [];
    for (let round = 0; round < 2; round++) {
      runs.push(await cannon('bare node:http (insert + row + queue send)', bareUrl, hook.secret, seconds, connections));
      runs.push(await cannon('local host POST /api/hooks/{id}', hubUrl, hook.secret, seconds, connections));
      runs.push(
        await cannon('bare node:http, queue send through the bus port', bareBusUrl, hook.secret, seconds, connections),
      );
    }
    const mean = (name: string, pick: (r: Run) => number) => {
      const mine = runs.filter((r) => r.name === name);
      return mine.reduce((s, r) => s + pick(r), 0) / mine.length;
    };
    const names = [...new Set(runs.map((r) => r.name))];
    const [baseName, hubName] = names as [string, string];
    const rows = names.map(
      (n) =>
        `| ${n} | ${mean(n, (r) => r.rps).toFixed(0)} | ${mean(n, (r) => r.p50).toFixed(1)} | ${mean(n, (r) => r.p99).toFixed(1)} | ${mean(n, (r) => r.non2xx + r.errors).toFixed(0)} |`,
    );
    process.stdout.write(
      [
        `receive: ${seconds} s × 2 rounds per side, ${connections} connections, body ${1500 + 90} B`,
        '| case | req/s | p50 ms | p99 ms | non-2xx + errors |',
        '| --- | --- | --- | --- | --- |',
        ...rows,
        `throughput ratio (hub / bare): ${(mean(hubName, (r) => r.rps) / mean(baseName, (r) => r.rps)).toFixed(2)} (target ≥ 0.9)`,
        `p99 ratio (hub / bare): ${(mean(hubName, (r) => r.p99) / mean(baseName, (r) => r.p99)).toFixed(2)} (target ≤ 1.3)`,
        '',
      ].join('\n'),
    );
  } finally {
    bare.close();
    bareBus.close();
    // Let requests autocannon left in flight finish before Azurite goes away.
    await new Promise((r) => setTimeout(r, 2_000));
    await host.stop();
    restoreLog();
  }
}

async function benchPipeline(count: number): Promise<void> {
  const autotask = new AutotaskFake();
  await autotask.start();
  hostEnv({ QUEUE_LOCK_DURATION_SECONDS: '30' });
  const restoreLog = setLogSink(() => undefined);
  const host = await startLocalHost(root);
  const key = host.settings.BOOTSTRAP_API_KEY ?? '';
  const tenantId = host.settings.BOOTSTRAP_TENANT_ID;
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${host.http.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    const integration = await api('/api/v1/integrations?skipTest=true', {
      vendor: 'autotask',
      name: 'Autotask (fake)',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: autotask.baseUrl },
    });
    await api('/api/v1/sops', {
      name: 'Disk full: note',
      match: { source: 'autotask', eventTypes: ['ticket.created'], keywords: ['disk_full'] },
      steps: [
        { tool: 'autotask.ticket.add_note', args: { ticketId: '{{event.entities.ticketId}}', description: 'seen' } },
      ],
    });
    const hook = await api('/api/v1/webhooks', { integrationId: integration.id });
    ops.reset();
    const started = performance.now();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const n = next++;
          const body = JSON.stringify({
            Action: 'Create',
            Guid: randomUUID(),
            EntityType: 'Ticket',
            Id: 10_000 + n,
            Fields: { Title: `Disk full on SRV${n}` },
            SequenceNumber: 1,
          });
          const res = await fetch(`${host.http.baseUrl}/api/hooks/${hook.id}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-hook-signature': `sha1=${createHmac('sha1', String(hook.secret)).update(body).digest('base64')}`,
            },
            body,
          });
          ids.push(String(((await res.json()) as { eventId: string }).eventId));
        }
      }),
    );
    const accepted = performance.now();
    const finished = new Map<string, number>();
    // Watching progress is the bench's own reading: not counted, and sparse so it costs little.
    await ops.uncounted(async () => {
      while (finished.size < ids.length) {
        for (const id of ids) {
          if (finished.has(id)) continue;
          const event = await loadEvent(tenantId, id);
          if (event?.status === 'succeeded' || event?.status === 'failed') finished.set(id, performance.now());
        }
        if (performance.now() - started > 600_000)
          throw new Error(`only ${finished.size}/${ids.length} finished in 10 min`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    const done = performance.now();
    const counted = ops.snapshot();
    const failed = (await ops.uncounted(() => Promise.all(ids.map((id) => loadEvent(tenantId, id))))).filter(
      (e) => e?.status !== 'succeeded',
    ).length;
    const times = [...finished.values()].map((t) => t - started).sort((a, b) => a - b);
    const receiveRate = count / ((accepted - started) / 1000);
    const pipelineRate = count / ((done - started) / 1000);
    const stageQueues = new Set(Object.values(STAGE_QUEUES).map((q) => `${process.env.LOCAL_QUEUE_PREFIX ?? ''}${q}`));
    // Receives of queues with nothing for this run are the emulator's idle polling (Service Bus
    // holds a long poll open instead); they are shown apart, not charged to the events.
    const isIdlePoll = (key: string) => {
      const [service, verb, name = ''] = key.split(' ');
      return service === 'queue' && verb === 'GET' && !stageQueues.has(name);
    };
    const perEvent = opsTable(counted, count, (k) => !isIdlePoll(k));
    const idle = opsTable(counted, count, isIdlePoll);

    ops.reset();
    const bare = await bareLoop(count);
    const bareCounted = ops.snapshot();
    const plain = await plainLoop(count);
    process.stdout.write(
      [
        `pipeline: ${count} Autotask ticket webhooks → SOP → note on the fake Autotask`,
        `all accepted after ${((accepted - started) / 1000).toFixed(1)} s (${receiveRate.toFixed(1)} events/s received); all terminal after ${((done - started) / 1000).toFixed(1)} s (${pipelineRate.toFixed(1)} events/s end to end); not succeeded: ${failed}`,
        `receive → terminal, from the first POST: p50 ${((times[Math.floor(times.length * 0.5)] ?? 0) / 1000).toFixed(1)} s, p99 ${((times[Math.floor(times.length * 0.99)] ?? 0) / 1000).toFixed(1)} s`,
        `notes written: ${autotask.received('POST', '/ATServicesRest/V1.0/Tickets/10000/Notes').length} for ticket 10000 (must be 1)`,
        `**pipeline / receive throughput: ${(pipelineRate / receiveRate).toFixed(3)}** (target ≥ 0.25)`,
        `storage-bound baseline (insert, five queue hops, terminal update; 16 at a time): ${bare.toFixed(1)} events/s; hub / baseline ${(pipelineRate / bare).toFixed(3)}`,
        `plain loop (the same hops in memory): ${plain.toFixed(0)} events/s; hub / plain ${(pipelineRate / plain).toFixed(5)}`,
        '',
        'storage and queue operations per event, receive to terminal (hub):',
        ...perEvent.lines,
        '',
        `idle polls of other queues during the run, per event (not charged): ${idle.total.toFixed(2)}`,
        '',
        'storage-bound baseline, per event:',
        ...opsTable(bareCounted, count, (k) => k.includes('bench')).lines,
        '',
      ].join('\n'),
    );
  } finally {
    await host.stop();
    await autotask.stop();
    restoreLog();
  }
}

/**
 * The physical limit on this storage: per event one row insert, five queue hops (send, receive,
 * delete) and one terminal update, 16 events in flight like the host's queue concurrency.
 */
async function bareLoop(count: number): Promise<number> {
  const account = services().account;
  const table = account.table('benchpipeline');
  await table.createTable();
  const queues = Array.from({ length: 5 }, (_, i) => account.queueService().getQueueClient(`bench-hop-${i}`));
  await Promise.all(queues.map((q) => q.createIfNotExists()));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const id = newestFirstId();
        next++;
        await table.createEntity({ partitionKey: 'bench', rowKey: id, status: 'received' });
        for (const queue of queues) {
          await queue.sendMessage(JSON.stringify({ eventId: id }));
          // Another worker may take this one; any message is as good for the count.
          let got = (await queue.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems[0];
          while (!got) got = (await queue.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems[0];
          await queue.deleteMessage(got.messageId, got.popReceipt);
        }
        await table.updateEntity({ partitionKey: 'bench', rowKey: id, status: 'succeeded' }, 'Merge');
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** The same hops through in-memory arrays: what the loop costs without storage. */
async function plainLoop(count: number): Promise<number> {
  const rows = new Map<string, { status: string }>();
  const queues = Array.from({ length: 5 }, () => [] as string[]);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const id = newestFirstId();
        next++;
        rows.set(id, { status: 'received' });
        for (const queue of queues) {
          queue.push(JSON.stringify({ eventId: id }));
          await Promise.resolve();
          JSON.parse(queue.shift() ?? '{}');
        }
        rows.set(id, { status: 'succeeded' });
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const [mode = 'receive', a, b] = process.argv.slice(2);
const run = mode === 'pipeline' ? benchPipeline(Number(a ?? 200)) : benchReceive(Number(a ?? 10), Number(b ?? 32));
run.catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exit(1);
});
