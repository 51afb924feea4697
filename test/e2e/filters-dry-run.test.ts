import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { postAutotaskTicket } from '../support/autotask-pipeline';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * Ingest filters and the dry run over HTTP on the local host, with a fresh tenant so its events,
 * failures and dashboard are its own: a filtered event is `filtered` with its rule, in no failure
 * list and no failed count, and replayable; the dry runs answer with the plan while the fake
 * Autotask's request log stays empty and no event appears.
 */
let host: HostProcess;
let key: string;
let webhook: { id: string; secret: string };
const operatorKey = `op-${randomBytes(24).toString('hex')}`;
const autotask = new AutotaskFake();

const api = (method: string, path: string, options: Parameters<typeof call>[3] = {}) =>
  call(host.baseUrl, method, path, { key, ...options });

const FILTER = {
  name: 'low-priority tickets',
  source: 'autotask',
  entityTypes: ['ticket'],
  conditions: [{ field: 'event.fields.Fields.Priority', op: 'eq', value: 3 }],
};

beforeAll(async () => {
  await autotask.start();
  host = await startHostProcess(sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', OPERATOR_API_KEY: operatorKey }));
  const tenant = await call(host.baseUrl, 'POST', '/api/v1/tenants', {
    key: operatorKey,
    body: { name: 'Filtering MSP' },
  });
  expect(tenant.status, tenant.text).toBe(201);
  key = String((tenant.json.adminKey as { key: string }).key);
  const integration = await api('POST', '/api/v1/integrations?skipTest=true', {
    body: {
      vendor: 'autotask',
      name: 'Autotask (fake)',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: autotask.baseUrl },
    },
  });
  expect(integration.status, integration.text).toBe(201);
  const sop = await api('POST', '/api/v1/sops', {
    body: {
      name: 'Disk full: note on the ticket',
      match: { source: 'autotask', eventTypes: ['ticket.*'], keywords: ['disk_full'] },
      steps: [
        {
          tool: 'autotask.ticket.add_note',
          args: { ticketId: '{{event.entities.ticketId}}', description: 'Hub saw: {{event.subject}}' },
        },
      ],
    },
  });
  expect(sop.status, sop.text).toBe(201);
  const hook = await api('POST', '/api/v1/webhooks', {
    body: { integrationId: integration.json.id, filters: [FILTER] },
  });
  expect(hook.status, hook.text).toBe(201);
  expect(hook.json.filters).toEqual([FILTER]);
  webhook = { id: String(hook.json.id), secret: String(hook.json.secret) };
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await autotask.stop();
});

async function settled(eventId: string): Promise<Record<string, unknown>> {
  const res = await api('GET', `/api/v1/events/${eventId}?waitFor=terminal&timeout=20`);
  expect(res.status, res.text).toBe(200);
  return res.json;
}

describe('ingest filters', () => {
  it('refuses filters that do not parse, with a problem and nothing changed', async () => {
    const res = await api('PUT', `/api/v1/webhooks/${webhook.id}/filters`, { body: { filters: [{ name: 'all' }] } });
    expect(res.status, res.text).toBe(400);
    expect(res.json.code).toBe('validation_failed');
    const after = await api('GET', `/api/v1/webhooks/${webhook.id}`);
    expect(after.json.filters).toEqual([FILTER]);
  });

  it('a filtered event is `filtered` with its rule, not a failure anywhere, and a replay of it runs the SOP', async () => {
    const sent = await postAutotaskTicket(host.baseUrl, webhook, {
      id: 501,
      fields: { Title: 'disk_full on SRV-9', Priority: 3 },
    });
    expect(sent.status, sent.text).toBe(202);
    const eventId = String(sent.json.eventId);
    const event = await settled(eventId);
    expect(event.status).toBe('filtered');
    expect(event.filteredBy).toBe(FILTER.name);
    expect(event.errorType).toBeNull();
    expect(event.failure).toBeNull();
    expect(autotask.count('POST', /\/Tickets\/501\/Notes/i)).toBe(0);

    const listed = await api('GET', '/api/v1/events?status=filtered');
    expect(listed.status, listed.text).toBe(200);
    const items = listed.json.items as Array<{ id: string; filteredBy: string | null }>;
    expect(items.find((i) => i.id === eventId)?.filteredBy).toBe(FILTER.name);
    const failed = await api('GET', '/api/v1/events?status=failed');
    expect(failed.json.items).toEqual([]);

    const failures = await api('GET', '/api/v1/failures');
    expect(failures.status, failures.text).toBe(200);
    expect(failures.json.total).toBe(0);

    // The counter is written right after the status: read until it is there (two days: a run
    // across midnight UTC still sees it).
    const dashboard = await eventually(async () => {
      const res = await api('GET', '/api/v1/dashboard?days=2');
      const t = res.json.totals as { filtered: number; failed: number } | undefined;
      return t && t.filtered >= 1 ? res.json : undefined;
    }, 20_000);
    expect(dashboard.totals).toMatchObject({ filtered: 1, failed: 0 });
    expect(dashboard.errorsByCode).toEqual([]);
    expect(dashboard.failures).toEqual([]);

    const replay = await api('POST', `/api/v1/events/${eventId}/replay`);
    expect(replay.status, replay.text).toBe(202);
    const replayed = await settled(String(replay.json.eventId));
    expect(replayed.status, JSON.stringify(replayed.timeline)).toBe('succeeded');
    expect(autotask.count('POST', /\/Tickets\/501\/Notes/i)).toBe(1);
  });

  it('an event no filter matches goes on to SOP matching as before', async () => {
    const sent = await postAutotaskTicket(host.baseUrl, webhook, {
      id: 502,
      fields: { Title: 'disk_full on SRV-10', Priority: 1 },
    });
    expect(sent.status, sent.text).toBe(202);
    const event = await settled(String(sent.json.eventId));
    expect(event.status).toBe('succeeded');
    expect(event.filteredBy).toBeNull();
  });
});

describe('dry run', () => {
  it('plans a sample, a given payload and a stored event while the vendor hears nothing and no event is created', async () => {
    const stored = await postAutotaskTicket(host.baseUrl, webhook, {
      id: 503,
      fields: { Title: 'disk_full on SRV-11', Priority: 3 },
    });
    const storedId = String(stored.json.eventId);
    expect((await settled(storedId)).status).toBe('filtered');
    const before = await api('GET', '/api/v1/events?limit=200');
    autotask.reset();

    const sample = await api('POST', `/api/v1/webhooks/${webhook.id}/test`);
    expect(sample.status, sample.text).toBe(200);
    expect(sample.json.payloadFrom).toBe('sample');
    expect(sample.json.verdict).toMatchObject({ outcome: 'succeeded' });
    expect((sample.json.sopMatching as { matched: { score: number } }).matched.score).toBe(1);
    const steps = sample.json.steps as Array<Record<string, unknown>>;
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ tool: 'autotask.ticket.add_note', status: 'would_run', writes: true });
    expect(steps[0]!.args).toMatchObject({ ticketId: 1001, description: 'Hub saw: Sample: disk_full on SRV-01' });

    const given = await api('POST', `/api/v1/webhooks/${webhook.id}/test`, {
      body: {
        payload: { Action: 'Create', EntityType: 'Ticket', Id: 77, Fields: { Title: 'disk_full', Priority: 3 } },
      },
    });
    expect(given.status, given.text).toBe(200);
    expect(given.json.verdict).toMatchObject({ outcome: 'filtered' });
    expect((given.json.filter as { matched: { name: string } }).matched.name).toBe(FILTER.name);

    const replayPlan = await api('POST', `/api/v1/events/${storedId}/dry-run`);
    expect(replayPlan.status, replayPlan.text).toBe(200);
    expect(replayPlan.json.filter).toMatchObject({ applies: false, matched: { name: FILTER.name } });
    expect(replayPlan.json.verdict).toMatchObject({ outcome: 'succeeded' });
    expect((replayPlan.json.steps as Array<{ args: unknown }>)[0]!.args).toMatchObject({ ticketId: 503 });

    // Nothing reached the vendor, and the tenant's events are exactly what they were.
    expect(autotask.requests).toEqual([]);
    const after = await api('GET', '/api/v1/events?limit=200');
    expect(after.json.items).toEqual(before.json.items);
  });

  it('answers problems: an unknown webhook or event is 404, an unknown field 400', async () => {
    const noHook = await api('POST', '/api/v1/webhooks/wh_AAAAAAAAAAAAAAAAAAAAAAAA/test');
    expect(noHook.status, noHook.text).toBe(404);
    expect(noHook.json.code).toBe('not_found');
    const noEvent = await api('POST', '/api/v1/events/nope/dry-run');
    expect(noEvent.status, noEvent.text).toBe(404);
    const extra = await api('POST', `/api/v1/webhooks/${webhook.id}/test`, { body: { payload: {}, extra: 1 } });
    expect(extra.status, extra.text).toBe(400);
  });
});
