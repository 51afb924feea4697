import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { diskAzuriteEnv, type HostProcess, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * "Nothing is lost" (docs/design.md §11.2): the host is killed (SIGKILL at a crash point) between receive and
 * each stage hop, restarted on the same disk-backed Azurite, and every accepted event still reaches
 * a terminal state — succeeded, or failed with its Failure Analysis — with its vendor write done
 * exactly once.
 */
const dirs: string[] = [];
const hosts: HostProcess[] = [];
const autotask = new AutotaskFake();

afterAll(async () => {
  for (const h of hosts) await h.kill();
  // A killed host's Azurite may still be flushing into the folder for a moment: retry the removal.
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  await autotask.stop();
});

/** Polls at a pace far inside the API rate limit, whatever the machine's speed. */
const POLL_INTERVAL_MS = 250;
const POLL_TIMEOUT_MS = 10_000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function diskHostEnv(location: string): Record<string, string> {
  return diskAzuriteEnv(location, {
    LOCAL_TIMERS: 'manual',
    // A message whose handler died is delivered again after this lock expires.
    QUEUE_LOCK_DURATION_SECONDS: '3',
    // Every poll below counts against the bootstrap key's per-minute limit (default 600), which
    // persists across the restarts; this test is about crash recovery, not the limiter.
    API_RATE_LIMIT_PER_MINUTE: '100000',
    // A failure prints the host's log tail: make it tell the message flow.
    LOG_LEVEL: 'info',
  });
}

interface Case {
  point: string;
  via: 'autotask' | 'generic';
  expected: 'succeeded' | 'failed';
}

const CASES: Case[] = [
  { point: 'inbound.receive.after-dedup', via: 'generic', expected: 'failed' },
  { point: 'inbound.receive.after-event-row', via: 'autotask', expected: 'succeeded' },
  { point: 'pipeline.validation.after-record', via: 'autotask', expected: 'succeeded' },
  { point: 'pipeline.validation.after-send', via: 'generic', expected: 'failed' },
  { point: 'pipeline.sop_matching.after-record', via: 'generic', expected: 'failed' },
  { point: 'pipeline.sop_matching.after-send', via: 'autotask', expected: 'succeeded' },
  { point: 'pipeline.agent_dispatch.after-record', via: 'autotask', expected: 'succeeded' },
  { point: 'pipeline.agent_execution.after-send', via: 'autotask', expected: 'succeeded' },
  { point: 'pipeline.tool_call.after-record', via: 'autotask', expected: 'succeeded' },
];

describe('crash recovery of the inbound pipeline', () => {
  it('kills the host at each hop; after a restart every accepted event ends terminal, its note written once', async () => {
    await autotask.start();
    const location = mkdtempSync(join(tmpdir(), 'hub-pipeline-'));
    dirs.push(location);
    const env = diskHostEnv(location);
    const key = env.BOOTSTRAP_API_KEY!;
    let host = await startHostProcess(env);
    hosts.push(host);
    const api = (method: string, path: string, body?: unknown) =>
      call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

    const integration = await api('POST', '/api/v1/integrations?skipTest=true', {
      vendor: 'autotask',
      name: 'Autotask (fake)',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: autotask.baseUrl },
    });
    expect(integration.status).toBe(201);
    const sop = await api('POST', '/api/v1/sops', {
      name: 'Disk full: note',
      match: { source: 'autotask', eventTypes: ['ticket.created'], keywords: ['disk_full'] },
      steps: [
        { tool: 'autotask.ticket.add_note', args: { ticketId: '{{event.entities.ticketId}}', description: 'seen' } },
      ],
    });
    expect(sop.status).toBe(201);
    const atHook = (await api('POST', '/api/v1/webhooks', { integrationId: integration.json.id })).json;
    const genericHook = (await api('POST', '/api/v1/webhooks', {})).json;

    let ticket = 9000;
    for (const c of CASES) {
      ticket++;
      const armed = await call(host.baseUrl, 'POST', '/admin/host/crash-points', { body: { name: c.point } });
      expect(armed.status).toBe(200);
      const delivery =
        c.via === 'autotask'
          ? (() => {
              const body = JSON.stringify({
                Action: 'Create',
                Guid: randomUUID(),
                EntityType: 'Ticket',
                Id: ticket,
                Fields: { Title: `Disk full on SRV${ticket}` },
                SequenceNumber: 1,
              });
              const sig = createHmac('sha1', String(atHook.secret)).update(body).digest('base64');
              return { id: String(atHook.id), body, headers: { 'x-hook-signature': `sha1=${sig}` } };
            })()
          : (() => {
              const body = JSON.stringify({ type: 'alert.triggered', subject: `disk_full ${ticket}` });
              const sig = createHmac('sha256', String(genericHook.secret)).update(body).digest('hex');
              return {
                id: String(genericHook.id),
                body,
                headers: { 'x-webhook-signature': `sha256=${sig}`, 'x-webhook-id': randomUUID() },
              };
            })();
      const post = () =>
        call(host.baseUrl, 'POST', `/api/hooks/${delivery.id}`, {
          rawBody: delivery.body,
          headers: { 'content-type': 'application/json', ...delivery.headers },
        });

      const first = await post().catch(() => undefined);
      const exitedInTime = await Promise.race([
        host.exited.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 60_000)),
      ]);
      if (!exitedInTime) {
        const id = first?.json.eventId;
        const state = id ? (await api('GET', `/api/v1/events/${String(id)}`)).text : '(no event id)';
        throw new Error(
          `${c.point} was never reached; POST: ${first?.text}\nevent: ${state}\nhost:\n${host.output().slice(-8000)}`,
        );
      }
      process.stderr.write(`crash-recovery: ${c.point} hit\n`);
      host = await startHostProcess(env);
      hosts.push(host);
      let eventId: string;
      if (c.point.startsWith('inbound.receive')) {
        // The sender got no answer, so it delivers again, as vendors do.
        expect(first).toBeUndefined();
        const again = await post();
        expect([200, 202], `${c.point}: ${again.text}`).toContain(again.status);
        eventId = String(again.json.eventId);
      } else if (first) {
        expect(first.status, c.point).toBe(202);
        eventId = String(first.json.eventId);
      } else {
        // The stage crashed before the 202 reached us (a slow machine let the consumer overtake
        // the response): like any vendor, the sender delivers again and learns the event's id.
        const again = await post();
        expect(again.status, `${c.point}: ${again.text}`).toBe(200);
        expect(again.json.duplicate, c.point).toBe(true);
        eventId = String(again.json.eventId);
      }
      let last = '';
      const event = await eventually(
        async () => {
          // One poll never waits on a request longer than POLL_TIMEOUT_MS: an unanswered request
          // fails this poll and the next one goes out (fetch alone would wait minutes).
          const r = await within(POLL_TIMEOUT_MS, api('GET', `/api/v1/events/${eventId}`));
          last = r.text;
          const done = r.json.status === 'succeeded' || (r.json.status === 'failed' && r.json.failure);
          return r.status === 200 && done ? r.json : undefined;
        },
        60_000,
        POLL_INTERVAL_MS,
      ).catch((error: unknown) => {
        throw new Error(`${c.point}: ${String(error)}\nevent: ${last}\nhost:\n${host.output().slice(-3000)}`);
      });
      expect(event.status, c.point).toBe(c.expected);
      if (c.expected === 'failed') {
        expect((event.failure as { errorType: string }).errorType, c.point).toBe('no_sop_matched');
      } else {
        const notes = autotask.received('POST', `/ATServicesRest/V1.0/Tickets/${ticket}/Notes`);
        expect(notes, c.point).toHaveLength(1);
      }
    }
    await host.stop();
  }, 400_000);
});
