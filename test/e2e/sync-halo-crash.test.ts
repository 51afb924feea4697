import { afterAll, describe, expect, it } from 'vitest';
import { createHaloFake, HALO_FAKE_CREDENTIALS } from '../fakes/halopsa';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';
import { INSTANCE_HEAP, rssKiB } from '../support/process-memory';

/**
 * The sync engine's promise (docs/sync.md): 100,000 Halo tickets synced in pages through the
 * local host; the host is SIGKILLed mid-run and started again on the same storage, the run resumes
 * from its last committed page without a new request, and the tickets readable through
 * `GET /api/v1/tickets` are exactly the 100,000 Halo holds — no duplicate, none lost.
 */
const TICKETS = 100_000;
/** The e2e uses pages of 500 to stay quick on a busy machine; bench/sync.ts measures pages of 100. */
const BATCH = 500;
const POLL_MS = 250;
/** The memory budget (docs/sync.md, "Memory"): the host's peak RSS at most this far above its idle RSS. */
const RSS_BUDGET_MIB = 150;

const halo = createHaloFake();
const hosts: HostProcess[] = [];

afterAll(async () => {
  for (const h of hosts) await h.kill();
  await halo.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds since `from`, for the phase timings the test prints (docs/benchmarks.md "Sync"); never asserted. */
const secondsSince = (from: number) => ((performance.now() - from) / 1000).toFixed(1);

/** Fails with the host's log when the run commits nothing for a minute (a stuck chain, not a slow one). */
function progressWatch(output: () => string) {
  let last = -1;
  let since = Date.now();
  return (pages: number) => {
    if (pages !== last) {
      last = pages;
      since = Date.now();
    } else if (Date.now() - since > 60_000) {
      throw new Error(`no page committed for a minute (at ${pages})\n${output().slice(-6000)}`);
    }
  };
}

describe('sync: Halo PSA, 100,000 tickets, a SIGKILL mid-run', () => {
  it('resumes after the restart without a new request and ends with exactly 100,000 tickets', async () => {
    halo.listings.seed('tickets', TICKETS);
    await halo.start();
    const env = sharedAzuriteEnv({
      // A page whose host died is delivered again after this lock expires.
      QUEUE_LOCK_DURATION_SECONDS: '3',
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'info',
      // Azure's heap; also the proof that nothing is retained: a host keeping a run's records would die out of heap.
      NODE_OPTIONS: INSTANCE_HEAP,
    });
    const key = env.BOOTSTRAP_API_KEY!;
    let host = await startHostProcess(env);
    hosts.push(host);
    const api = (method: string, path: string, body?: unknown) =>
      call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

    const integration = await api('POST', '/api/v1/integrations?skipTest=true', {
      vendor: 'halopsa',
      name: 'Halo (fake)',
      credentials: HALO_FAKE_CREDENTIALS,
      // The fake has no API limit, so the instance's budget is raised as a Halo admin would raise
      // theirs: 1,000 Halo requests would take ~7 minutes at the default 700 per 5 minutes.
      config: { baseUrl: halo.baseUrl, requestsPer5Minutes: 10_000 },
    });
    expect(integration.status, integration.text).toBe(201);
    expect(integration.json.config).toMatchObject({ requestsPer5Minutes: 10_000 });
    const integrationId = String(integration.json.id);
    const idleKiB = rssKiB(host.child.pid);

    const started = await api('POST', `/api/v1/integrations/${integrationId}/sync`, {
      entities: ['tickets'],
      mode: 'full',
      batchSize: BATCH,
    });
    expect(started.status, started.text).toBe(202);
    const runId = String(started.json.id);
    const syncStarted = performance.now();

    // Let a good part of the run commit, then kill the host without warning.
    let peakKiB = idleKiB;
    const firstWatch = progressWatch(() => host.output());
    for (;;) {
      peakKiB = Math.max(peakKiB, rssKiB(host.child.pid));
      const run = await api('GET', `/api/v1/sync-runs/${runId}`);
      expect(run.status, run.text).toBe(200);
      expect(run.json.status, `${run.text}\n${host.output().slice(-4000)}`).toBe('running');
      firstWatch(Number(run.json.pagesCommitted));
      if (Number(run.json.pagesCommitted) >= 60) break;
      await pause(POLL_MS);
    }
    await host.kill();
    const killedAt = performance.now();
    const untilKill = secondsSince(syncStarted);
    const atKill = (
      await (async () => {
        host = await startHostProcess(env);
        hosts.push(host);
        return api('GET', `/api/v1/sync-runs/${runId}`);
      })()
    ).json;
    process.stderr.write(`sync e2e: killed after ${String(atKill.pagesCommitted)} pages\n`);

    // No new request: the re-delivered page message carries the run on.
    let final: Record<string, unknown> = atKill;
    const secondWatch = progressWatch(() => host.output());
    for (;;) {
      peakKiB = Math.max(peakKiB, rssKiB(host.child.pid));
      final = (await api('GET', `/api/v1/sync-runs/${runId}`)).json;
      secondWatch(Number(final.pagesCommitted));
      if (final.status !== 'running') break;
      await pause(POLL_MS);
    }
    expect(final, host.output().slice(-4000)).toMatchObject({
      status: 'succeeded',
      counts: { created: TICKETS, updated: 0, failed: 0 },
    });
    // Tickets at the kill's page were written twice at most: replays count as they did the first time.
    expect((final.counts as { skipped: number }).skipped).toBe(0);
    const resumed = secondsSince(killedAt);
    process.stderr.write(
      `sync e2e: host RSS idle ${Math.round(idleKiB / 1024)} MiB, peak ${Math.round(peakKiB / 1024)} MiB (first host and restarted host)\n`,
    );

    // Count through the API, page by page, at the largest page the list takes (fewest requests).
    const listStarted = performance.now();
    let requests = 0;
    const seen = new Set<string>();
    let rows = 0;
    let cursor: string | null = null;
    do {
      const query: string = `integrationId=${integrationId}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api('GET', `/api/v1/tickets?${query}`);
      expect(page.status, page.text).toBe(200);
      const items = page.json.items as { id: string }[];
      for (const item of items) seen.add(item.id);
      rows += items.length;
      cursor = (page.json.nextCursor as string | null) ?? null;
      requests++;
    } while (cursor);
    process.stderr.write(
      `sync e2e: phases — sync until the kill ${untilKill} s, restart to completion ${resumed} s, listing ${secondsSince(listStarted)} s (${requests} requests)\n`,
    );
    expect(rows).toBe(TICKETS);
    expect(seen.size).toBe(TICKETS);
    expect(halo.refusals).toEqual([]);
    // Sampled over the first host and the restarted one, against the first host's idle.
    expect((peakKiB - idleKiB) / 1024).toBeLessThanOrEqual(RSS_BUDGET_MIB);
  }, 600_000);
});
