import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { startAzurite } from '../../local/azurite';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import { auditTable } from '../../shared/audit/audit-log';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { resetSettingsCache, type Settings } from '../../shared/config/settings';
import { createCredentialCipher } from '../../shared/crypto/credential-cipher';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { networkPolicyFromSettings } from '../../shared/net/guard';
import { closeGuardedAgents } from '../../shared/net/guarded-fetch';
import { setLogSink } from '../../shared/observability/logger';
import { deliveryBody, sendAttempt } from '../../shared/outbound/attempt';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { EndpointTallies } from '../../shared/outbound/endpoint-tallies';
import {
  FIRST_ATTEMPT_QUEUE,
  inlineFirstAttemptStarter,
  queueStarter,
  runFirstAttempt,
} from '../../shared/outbound/first-attempt';
import { publishToSubscribers } from '../../shared/outbound/publish';
import type { DeliveryStarter } from '../../shared/outbound/starter';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { outboundTables, type SubscriptionRecord } from '../../shared/outbound/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { newestFirstId, tenantPartition } from '../../shared/storage/keys';
import { TableRepository } from '../../shared/storage/table-repository';

/**
 * Outbound delivery throughput (docs/benchmarks.md, "Outbound delivery"): N deliveries to a
 * loopback receiver against a plain undici loop posting the same payloads in the same run, at the
 * same concurrency (default 10: host.json's maxConcurrentActivityFunctions, the number of attempt
 * activities one instance runs at once). Cases:
 *   1. baseline — undici `request` POSTing the bodies, nothing else;
 *   2. storage-bound baseline — the least a persisted delivery can do: one insert (the delivery,
 *      `pending`), the POST, one conditional replace (its outcome). Two Table Storage operations;
 *      the physical limit of "persist before acknowledging, record the outcome";
 *   3. sender   — what every attempt sends: Standard Webhooks + sha256 signatures through
 *                 guardedFetch's per-hop checks;
 *   4. whole delivery — publish (the cached subscription list, the deliveries and index rows in
 *                 one transaction, the tenant-day row once, the first-attempt message carrying the
 *                 row on an Azurite storage queue through the hub's StorageQueueBus), the worker's
 *                 receive, the first attempt from the carried row (the throttle check on cached
 *                 rows, send, one outcome transaction with the log row and status index; counters
 *                 and health batched) and the message's completion. The receiver answers 200, so no orchestration starts:
 *                 the Durable starter handed to the worker counts the starts it is asked for (0).
 *   5. whole delivery, first attempt inline — the pipeline's publish (inlineFirstAttemptStarter):
 *                 the same transaction, then attempt 1 in this process, no queue.
 * The cases run interleaved, a slice of each per round (BENCH_ROUNDS, default 8, order reversed
 * every other round), so the machine's changing load falls on all of them alike; each case
 * spreads its deliveries over tenants of BENCH_PER_TENANT (default 50) because Azurite's point
 * writes scan their partition. CPU per delivery of this process and of Azurite (/proc) is
 * reported beside each rate: on shared cores that ratio moves far less than the rates do.
 * Peak RSS and heap above the level before each case are sampled every 20 ms. Storage operations
 * are counted from node:http's diagnostics channel (the Tables and Queues SDKs' transport), per
 * table or queue and verb, for one delivery alone and as an average under concurrency (where
 * counter writes coalesce).
 *
 *   BENCH_DELIVERIES=10000 node --expose-gc dist/bench/outbound/measure.js [concurrency=10]
 */
interface CaseResult {
  name: string;
  perSecond: number;
  peakRssMb: number;
  peakHeapMb: number;
}

/** Requests to Azurite's table and queue ports, as `VERB table` / `VERB queue:<name>`, always counted. */
const trips = new Map<string, number>();
const ports = { table: '', queue: '' };
subscribe('http.client.request.start', (message) => {
  const req = (message as { request?: { method?: string; path?: string; getHeader(n: string): unknown } }).request;
  const host = String(req?.getHeader('host') ?? '');
  if (!req || !ports.table) return;
  const resource = /^\/[^/]+\/([A-Za-z0-9$-]+)/.exec(req.path ?? '')?.[1] ?? '?';
  let name: string;
  if (host.endsWith(`:${ports.table}`)) name = `${req.method ?? '?'} ${resource}`;
  else if (host.endsWith(`:${ports.queue}`)) name = `${req.method ?? '?'} queue:${resource}`;
  else return;
  trips.set(name, (trips.get(name) ?? 0) + 1);
});
function tripTotal(): number {
  let n = 0;
  for (const v of trips.values()) n += v;
  return n;
}

/** Azurite's pid: the child of this process running azurite (local/azurite.ts spawns it). */
function azuritePid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('azurite'))
        return Number(entry);
    } catch {
      // a process that ended while listed
    }
  }
  return undefined;
}

/** CPU milliseconds (user + system) of a process, from /proc (0 where there is none: not Linux). */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the state), in clock ticks (100/s).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
let storagePid: number | undefined;

/** One case's deliveries `from`..`to` at `concurrency`: the time taken, CPU spent by this process and by Azurite, and the memory peaks above the start. */
async function runSlice(
  from: number,
  to: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<{ seconds: number; cpuMs: number; storageCpuMs: number; peakRssMb: number; peakHeapMb: number }> {
  global.gc?.();
  const base = process.memoryUsage();
  let peak = base.rss;
  let peakHeap = base.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  let next = from;
  const cpu = process.cpuUsage();
  const storageCpu = cpuMsOf(storagePid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) await one(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const storageCpuMs = cpuMsOf(storagePid) - storageCpu;
  clearInterval(sampler);
  sample();
  return {
    seconds,
    cpuMs: (used.user + used.system) / 1000,
    storageCpuMs,
    peakRssMb: (peak - base.rss) / 1048576,
    peakHeapMb: (peakHeap - base.heapUsed) / 1048576,
  };
}

async function main(): Promise<void> {
  const total = Number(process.env.BENCH_DELIVERIES ?? 2_000);
  const concurrency = Number(process.argv[2] ?? 10);
  setLogSink(() => undefined);
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const azurite = await startAzurite();
  ports.table = String(azurite.ports.table);
  ports.queue = String(azurite.ports.queue);
  storagePid = azuritePid();
  const account = storageAccountFromConnectionString(azurite.connectionString);
  // Valid app settings, as a deployed instance has: telemetry asks for them on every span, and an
  // invalid environment is parsed again (and thrown) on each ask rather than cached.
  process.env.DataStorage = azurite.connectionString;
  process.env.BUS_MODE = 'storage-queues';
  process.env.HUB_ENVIRONMENT = 'development';
  resetSettingsCache();
  const key = generateFernetKey();
  const deps: OutboundDeps = {
    tables: outboundTables(account),
    audit: auditTable(account),
    cipher: createCredentialCipher(async () => key),
    policy: networkPolicyFromSettings({ HUB_ENVIRONMENT: 'development' } as Settings),
    counters: new Counters(counterTables(account)),
    tenantIsActive: async () => true,
    disableAfterFailingMs: 5 * 24 * 3_600_000,
    attemptTimeoutMs: 10_000,
    // As in production (deps.ts): counters and health in batches, flushed when the process goes idle.
    tallies: new EndpointTallies(),
  };
  // Azurite finds a row by scanning its partition (LokiJS indexes PartitionKey; RowKey is compared
  // row by row), so there every point write costs in proportion to the partition's rows; Azure's
  // point operations do not. Each case spreads its deliveries over tenants of `perTenant` (their
  // own day partitions, the baseline's too), so N does not turn into the emulator's scan cost.
  // BENCH_PER_TENANT=0: every case in one tenant, as before.
  const perTenant = Number(process.env.BENCH_PER_TENANT ?? 50);
  const groups = perTenant > 0 ? Math.ceil(total / perTenant) : 1;
  /** Case `set`'s tenant for its i-th delivery (each whole-delivery case has tenants of its own). */
  const tenantOf = (set: 'queue' | 'inline' | 'baseline', i: number): string =>
    `bench-${set}-${perTenant > 0 ? Math.floor(i / perTenant) : 0}`;
  let subRow: SubscriptionRecord | undefined;
  for (const set of ['queue', 'inline'] as const) {
    for (let g = 0; g < groups; g++) {
      const tenantId = tenantOf(set, g * Math.max(perTenant, 1));
      const principal = { tenantId, keyId: 'bench', scopes: ['admin' as const] };
      const sub = await createSubscription(deps, principal, { url, eventTypes: ['*'] }, 'bench');
      subRow ??= (await deps.tables.subscriptions.get(tenantId, sub.id))!.value;
    }
  }
  const data = { ticketId: 'T-1', title: 'Backup failed on SRV-FS01', priority: 'high' };
  const bodies = Array.from({ length: total }, (_, i) =>
    deliveryBody({ id: `E${i}`, type: 'ticket.created', publishedAt: new Date().toISOString(), data }),
  );

  // The hub's bus on Azurite's queues, as the local host runs it (Service Bus in Azure).
  const bus = new StorageQueueBus(account, { queuePrefix: 'bench' });
  const starter = queueStarter(bus);
  let orchestrationStarts = 0;
  const orchestrations: DeliveryStarter = {
    start: async () => {
      orchestrationStarts++;
      return 'started';
    },
  };

  /** Publish one event to the one subscription; a worker receives one message, attempts, completes it. */
  const wholeDelivery = async (i: number): Promise<{ publish: number; worker: number }> => {
    const before = tripTotal();
    await publishToSubscribers(deps, tenantOf('queue', i), { type: 'ticket.created', data, source: 'admin' }, starter);
    const published = tripTotal();
    const [lock] = await bus.receive(FIRST_ATTEMPT_QUEUE, { maxMessages: 1 });
    if (!lock) throw new Error('no first-attempt message');
    // As the trigger runs it (shared/outbound/triggers.ts): the queue as the throttle's requeue,
    // counters and health left to the batch timer (written within 1 s, shared by the deliveries of it).
    const settled = await deps.tallies!.track(deps, () => runFirstAttempt(deps, lock.message, orchestrations, bus), {
      idleFlush: 'timer',
    });
    if (settled.kind !== 'complete') throw new Error(`worker: ${settled.kind}`);
    await lock.complete();
    return { publish: published - before, worker: tripTotal() - published };
  };

  /**
   * The pipeline's publish (publishEvent with `firstAttempt: 'inline'`): attempt 1 in the publishing
   * process right after the rows' transaction, the queue only as its fallback (none here: 200s).
   */
  const inline = inlineFirstAttemptStarter(deps, bus);
  const inlineDelivery = async (i: number): Promise<number> => {
    const before = tripTotal();
    await publishToSubscribers(
      deps,
      tenantOf('inline', i),
      // Keyed, as the pipeline publishes (its inbound event id): a crash repeats the publication.
      { type: 'ticket.created', data, source: 'pipeline', key: newestFirstId() },
      inline,
    );
    return tripTotal() - before;
  };

  /** The storage-bound baseline's rows: a delivery's least state, in the deliveries' partition shape. */
  const minimal = new TableRepository(
    account,
    'benchminimal',
    z.object({ status: z.string(), statusCode: z.number().int().optional() }),
  );
  const minimalDelivery = async (i: number): Promise<void> => {
    const id = newestFirstId();
    const pk = tenantPartition(tenantOf('baseline', i), id.slice(0, 6));
    const row = await minimal.insert(pk, id, { status: 'pending' });
    const res = await request(url, {
      method: 'POST',
      body: bodies[i],
      headers: { 'content-type': 'application/json' },
      dispatcher: agent,
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`storage-bound baseline: ${res.statusCode}`);
    await minimal.replace(pk, id, { status: 'succeeded', statusCode: res.statusCode }, row.etag!);
  };

  const agent = new Agent({ connections: concurrency });
  // Warm-up of every path so JIT, table creation and connection pools do not count against a case.
  for (let i = 0; i < 200; i++) {
    await (await request(url, { method: 'POST', body: bodies[0], dispatcher: agent })).body.dump();
    await sendAttempt(deps, subRow!, 'warm', bodies[0]!, 'ticket.created', 1, 'initial');
  }
  for (let i = 0; i < 20; i++) {
    await wholeDelivery(0);
    await inlineDelivery(0);
    await minimalDelivery(0);
  }
  // One delivery alone: its operations, by phase and by table or queue.
  await deps.tallies!.flush(deps);
  trips.clear();
  const alone = await wholeDelivery(0);
  const aloneByTable = [...trips.entries()].sort(([a], [b]) => a.localeCompare(b));
  // The batch the timer writes after it: what a delivery alone in its second costs on top.
  trips.clear();
  await deps.tallies!.flush(deps);
  const aloneFlush = [...trips.entries()].sort(([a], [b]) => a.localeCompare(b));
  trips.clear();
  const inlineAlone = await inlineDelivery(0);
  const inlineAloneByTable = [...trips.entries()].sort(([a], [b]) => a.localeCompare(b));
  trips.clear();
  await deps.tallies!.flush(deps);
  trips.clear();
  await minimalDelivery(0);
  const minimalOps = tripTotal();

  interface BenchCase {
    name: string;
    one: (i: number) => Promise<void>;
    /** Storage operations of this case's slices (with the tally batches flushed after each). */
    ops?: Map<string, number>;
    seconds: number;
    cpuMs: number;
    storageCpuMs: number;
    peakRssMb: number;
    peakHeapMb: number;
  }
  const cases: BenchCase[] = (
    [
      {
        name: 'plain undici loop (baseline)',
        one: async (i) => {
          const res = await request(url, {
            method: 'POST',
            body: bodies[i],
            headers: { 'content-type': 'application/json' },
            dispatcher: agent,
          });
          await res.body.dump();
          if (res.statusCode !== 200) throw new Error(`baseline: ${res.statusCode}`);
        },
      },
      { name: 'storage-bound baseline (insert, POST, replace)', one: (i) => minimalDelivery(i) },
      {
        name: 'signed guarded send',
        one: async (i) => {
          const r = await sendAttempt(deps, subRow!, `D${i}`, bodies[i]!, 'ticket.created', 1, 'initial');
          if (r.statusCode !== 200) throw new Error(`sender: ${r.statusCode ?? r.error}`);
        },
      },
      {
        name: 'whole delivery (publish + queue + first attempt)',
        one: async (i) => {
          await wholeDelivery(i);
        },
        ops: new Map(),
      },
      {
        name: 'whole delivery, first attempt inline (the pipeline publish)',
        one: async (i) => {
          await inlineDelivery(i);
        },
        ops: new Map(),
      },
    ] satisfies Omit<BenchCase, 'seconds' | 'cpuMs' | 'storageCpuMs' | 'peakRssMb' | 'peakHeapMb'>[]
  ).map((c) => ({ ...c, seconds: 0, cpuMs: 0, storageCpuMs: 0, peakRssMb: 0, peakHeapMb: 0 }));
  // BENCH_ONLY=inline (or queue): the baselines and that case only, for a profile of one path.
  const only = process.env.BENCH_ONLY;
  const skipped = (name: string) =>
    (only === 'inline' && name.startsWith('whole delivery (')) || (only === 'queue' && name.includes('inline'));
  // Interleaved: every case runs a slice of its deliveries in each round (the order reversed every
  // other round), so a change in the machine's load during the run falls on all cases alike rather
  // than on whichever case ran then. BENCH_ROUNDS=1: each case whole, one after the other.
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 8));
  for (let round = 0; round < rounds; round++) {
    const from = Math.floor((total * round) / rounds);
    const to = Math.floor((total * (round + 1)) / rounds);
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
      if (skipped(c.name)) continue;
      trips.clear();
      const slice = await runSlice(from, to, concurrency, c.one);
      c.seconds += slice.seconds;
      c.cpuMs += slice.cpuMs;
      c.storageCpuMs += slice.storageCpuMs;
      c.peakRssMb = Math.max(c.peakRssMb, slice.peakRssMb);
      c.peakHeapMb = Math.max(c.peakHeapMb, slice.peakHeapMb);
      if (c.ops) {
        await deps.tallies!.flush(deps);
        for (const [k, v] of trips) c.ops.set(k, (c.ops.get(k) ?? 0) + v);
      }
    }
  }
  const results: CaseResult[] = cases.map((c) => ({
    name: c.name,
    perSecond: c.seconds > 0 ? total / c.seconds : 0,
    peakRssMb: c.peakRssMb,
    peakHeapMb: c.peakHeapMb,
  }));
  const opsOf = (c: BenchCase | undefined) => {
    const byTable = [...(c?.ops ?? new Map<string, number>()).entries()].sort(([x], [y]) => x.localeCompare(y));
    return { perDelivery: byTable.reduce((n, [, v]) => n + v, 0) / total, byTable };
  };
  const { perDelivery: underLoad, byTable: underLoadByTable } = opsOf(cases[3]);
  const { perDelivery: inlineUnderLoad, byTable: inlineUnderLoadByTable } = opsOf(cases[4]);

  const baseline = results[0]!.perSecond;
  const storageBound = results[1]!.perSecond;
  console.log(
    `\nOutbound delivery: ${total} deliveries per case, concurrency ${concurrency}, ${rounds} interleaved rounds, ${perTenant || 'all'} per tenant\n`,
  );
  console.log(
    '| case | deliveries/s | vs. plain loop | vs. storage-bound | CPU ms per delivery: bench process + Azurite | CPU vs. storage-bound | peak RSS / heap above start (MB) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const cpuOf = (c: BenchCase) => (c.cpuMs + c.storageCpuMs) / total;
  for (const [k, r] of results.entries()) {
    const c = cases[k]!;
    console.log(
      `| ${r.name} | ${r.perSecond.toFixed(0)} | ${(r.perSecond / baseline).toFixed(3)} | ${(r.perSecond / storageBound).toFixed(3)} | ${(c.cpuMs / total).toFixed(2)} + ${(c.storageCpuMs / total).toFixed(2)} = ${cpuOf(c).toFixed(2)} | ${(cpuOf(cases[1]!) / cpuOf(c)).toFixed(3)} | ${r.peakRssMb.toFixed(1)} / ${r.peakHeapMb.toFixed(1)} |`,
    );
  }
  console.log(
    `\nStorage operations per delivery: storage-bound baseline ${minimalOps}; whole delivery alone ${alone.publish + alone.worker} (publish ${alone.publish}, worker ${alone.worker}); at concurrency ${concurrency} ${underLoad.toFixed(2)} on average`,
  );
  console.log(`Durable orchestrations started for first-attempt successes: ${orchestrationStarts}`);
  console.log(`One delivery alone, by table / queue: ${aloneByTable.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(
    `Its counters and health, written by the batch timer up to 1 s later (shared by every attempt of that second): ${aloneFlush.map(([k, v]) => `${k} ${v}`).join(', ')}`,
  );
  console.log(
    `Per delivery at concurrency ${concurrency}, by table / queue: ${underLoadByTable.map(([k, v]) => `${k} ${(v / total).toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `\nFirst attempt inline (the pipeline's publish): ${inlineAlone} operations alone, ${inlineUnderLoad.toFixed(2)} at concurrency ${concurrency}`,
  );
  console.log(`Alone, by table / queue: ${inlineAloneByTable.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(
    `Per delivery at concurrency ${concurrency}, by table / queue: ${inlineUnderLoadByTable.map(([k, v]) => `${k} ${(v / total).toFixed(2)}`).join(', ')}`,
  );
  await agent.close();
  await closeGuardedAgents();
  receiver.close();
  await azurite.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
