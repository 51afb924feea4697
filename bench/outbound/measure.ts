import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { startAzurite } from '../../local/azurite';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import { auditTable } from '../../shared/audit/audit-log';
import type { Settings } from '../../shared/config/settings';
import { createCredentialCipher } from '../../shared/crypto/credential-cipher';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { networkPolicyFromSettings } from '../../shared/net/guard';
import { closeGuardedAgents } from '../../shared/net/guarded-fetch';
import { setLogSink } from '../../shared/observability/logger';
import { deliveryBody, runAutomaticAttempt, sendAttempt } from '../../shared/outbound/attempt';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { publishToSubscribers } from '../../shared/outbound/publish';
import type { DeliveryStarter } from '../../shared/outbound/starter';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { outboundTables } from '../../shared/outbound/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';

/**
 * Outbound delivery throughput (docs/benchmarks.md, "Outbound delivery"): N deliveries to a
 * loopback receiver, against a plain undici loop posting the same payloads in the same run, at the
 * same concurrency. Three cases:
 *   1. baseline  — undici `request` POSTing the bodies, nothing else;
 *   2. sender    — what every attempt sends: Standard Webhooks + sha256 signatures (the secret
 *                  opened from its Fernet token each time) through guardedFetch's per-hop checks;
 *   3. attempt   — the whole automatic attempt activity: re-read of delivery, subscription and
 *                  event, in-flight lease, send, attempt row, counters, endpoint health, status
 *                  index — every Table Storage write on an in-memory Azurite.
 * Peak RSS above the level before each case is sampled every 20 ms.
 *
 *   node dist/bench/outbound/measure.js [deliveries=10000] [concurrency=32]
 */
interface CaseResult {
  name: string;
  perSecond: number;
  peakRssMb: number;
}

async function runCase(
  name: string,
  total: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<CaseResult> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await one(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { name, perSecond: total / seconds, peakRssMb: (peak - base) / 1048576 };
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 10_000);
  const concurrency = Number(process.argv[3] ?? 32);
  const attemptTotal = Number(process.env.BENCH_ATTEMPTS ?? total);
  setLogSink(() => undefined);
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const azurite = await startAzurite();
  const account = storageAccountFromConnectionString(azurite.connectionString);
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
  };
  const tenantId = 'bench-tenant';
  const principal = { tenantId, keyId: 'bench', scopes: ['admin' as const] };
  const sub = await createSubscription(deps, principal, { url, eventTypes: ['*'] }, 'bench');
  const subRow = (await deps.tables.subscriptions.get(tenantId, sub.id))!.value;
  const data = { ticketId: 'T-1', title: 'Backup failed on SRV-FS01', priority: 'high' };
  const bodies = Array.from({ length: total }, (_, i) =>
    deliveryBody({ id: `E${i}`, type: 'ticket.created', publishedAt: new Date().toISOString(), data }),
  );

  // Deliveries for case 3, created before any timing (publishing is not what is measured).
  const ids: string[] = [];
  const starter: DeliveryStarter = {
    start: async (_t, id) => {
      ids.push(id);
      return 'started';
    },
  };
  for (let i = 0; i < attemptTotal; i += concurrency) {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, attemptTotal - i) }, () =>
        publishToSubscribers(deps, tenantId, { type: 'ticket.created', data, source: 'admin' }, starter),
      ),
    );
  }

  const agent = new Agent({ connections: concurrency });
  const results: CaseResult[] = [];
  // Warm-up of both paths so JIT and connection pools do not count against the first case.
  for (let i = 0; i < 200; i++) {
    await (await request(url, { method: 'POST', body: bodies[0], dispatcher: agent })).body.dump();
    await sendAttempt(deps, subRow, 'warm', bodies[0]!, 'ticket.created', 1, 'initial');
  }
  results.push(
    await runCase('plain undici loop (baseline)', total, concurrency, async (i) => {
      const res = await request(url, {
        method: 'POST',
        body: bodies[i],
        headers: { 'content-type': 'application/json' },
        dispatcher: agent,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`baseline: ${res.statusCode}`);
    }),
  );
  results.push(
    await runCase('signed guarded send', total, concurrency, async (i) => {
      const r = await sendAttempt(deps, subRow, `D${i}`, bodies[i]!, 'ticket.created', 1, 'initial');
      if (r.statusCode !== 200) throw new Error(`sender: ${r.statusCode ?? r.error}`);
    }),
  );
  results.push(
    await runCase('whole attempt (+ Table Storage bookkeeping)', attemptTotal, concurrency, async (i) => {
      const outcome = await runAutomaticAttempt(deps, { tenantId, deliveryId: ids[i]!, k: 1 });
      if (outcome.kind !== 'succeeded') throw new Error(`attempt: ${outcome.kind}`);
    }),
  );

  const baseline = results[0]!.perSecond;
  console.log(
    `\nOutbound delivery: ${total} deliveries (${attemptTotal} whole attempts), concurrency ${concurrency}\n`,
  );
  console.log('| case | deliveries/s | peak RSS above start (MB) | vs. baseline |');
  console.log('| --- | --- | --- | --- |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.perSecond.toFixed(0)} | ${r.peakRssMb.toFixed(1)} | ${(r.perSecond / baseline).toFixed(2)} |`,
    );
  }
  await agent.close();
  await closeGuardedAgents();
  receiver.close();
  await azurite.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
