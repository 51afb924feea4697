import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { DattoEdrFake, FAKE_DATTO_EDR_CREDENTIALS, FAKE_DATTO_EDR_TOKEN_EXPIRES_AT } from '../fakes/datto-edr';
import { postAutotaskTicket } from '../support/autotask-pipeline';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { type CallResult, call, eventually } from '../support/http';

/**
 * The Processing half's admin API over HTTP on the local host: SOPs (create, list, get, replace,
 * delete, and what saving refuses), the tool catalog, approvals (list, approve and reject with or
 * without a body; 403 without the scope, 404 from another tenant, 409 on a second decision) and
 * the agent-run read API, driven by signed Autotask webhooks through the whole pipeline.
 */
let host: HostProcess;
let key: string;
let otherKey: string;
let readerKey: string;
let autotaskId: string;
let edrId: string;
let webhook: { id: string; secret: string };
const operatorKey = `op-${randomBytes(24).toString('hex')}`;
const autotask = new AutotaskFake();
const edr = new DattoEdrFake();

const api = (method: string, path: string, options: Parameters<typeof call>[3] = {}) =>
  call(host.baseUrl, method, path, { key, ...options });

function expectProblem(res: CallResult, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.json.code).toBe(code);
}

beforeAll(async () => {
  await autotask.start();
  await edr.start();
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', OPERATOR_API_KEY: operatorKey });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);

  const integration = async (body: object) => {
    const res = await api('POST', '/api/v1/integrations?skipTest=true', { body });
    expect(res.status, res.text).toBe(201);
    return String(res.json.id);
  };
  autotaskId = await integration({
    vendor: 'autotask',
    name: 'Autotask (fake)',
    credentials: FAKE_AUTOTASK_CREDENTIALS,
    config: { baseUrl: autotask.baseUrl },
  });
  edrId = await integration({
    vendor: 'datto-edr',
    name: 'EDR (fake)',
    credentials: FAKE_DATTO_EDR_CREDENTIALS,
    config: { baseUrl: edr.baseUrl, tokenExpiresAt: FAKE_DATTO_EDR_TOKEN_EXPIRES_AT },
  });
  const hook = await api('POST', '/api/v1/webhooks', { body: { integrationId: autotaskId } });
  expect(hook.status, hook.text).toBe(201);
  webhook = { id: String(hook.json.id), secret: String(hook.json.secret) };

  const reader = await api('POST', '/api/v1/api-keys', {
    body: { name: 'reader', scopes: ['events:read', 'sops:read', 'approvals:read'] },
  });
  expect(reader.status, reader.text).toBe(201);
  readerKey = String(reader.json.key);
  const tenant = await call(host.baseUrl, 'POST', '/api/v1/tenants', {
    key: operatorKey,
    body: { name: 'Another MSP' },
  });
  expect(tenant.status, tenant.text).toBe(201);
  otherKey = String((tenant.json.adminKey as { key: string }).key);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await autotask.stop();
  await edr.stop();
});

/** A signed Autotask ticket-created callback; answers the new event id. */
async function sendTicket(id: number, title: string): Promise<string> {
  const res = await postAutotaskTicket(host.baseUrl, webhook, { id, fields: { Title: title, Priority: 1 } });
  expect(res.status, res.text).toBe(202);
  return String(res.json.eventId);
}

async function eventReaches(eventId: string, statuses: string[]): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const res = await api('GET', `/api/v1/events/${eventId}`);
    return res.status === 200 && statuses.includes(String(res.json.status)) ? res.json : undefined;
  }, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\nhost:\n${host.output().slice(-4000)}`);
  });
}

const noteSop = (overrides: Record<string, unknown> = {}) => ({
  name: 'Printer jam: note on the ticket',
  match: { source: 'autotask', eventTypes: ['ticket.*'], keywords: ['printer_jam'] },
  steps: [
    {
      tool: 'autotask.ticket.add_note',
      args: { ticketId: '{{event.entities.ticketId}}', description: 'Seen: {{event.subject}}' },
    },
  ],
  ...overrides,
});

describe('tool catalog', () => {
  it('lists every tool with a JSON Schema of its arguments; a key without sops:read gets 403', async () => {
    const res = await api('GET', '/api/v1/tools');
    expect(res.status).toBe(200);
    const items = res.json.items as Array<{
      id: string;
      vendor: string;
      writes: boolean;
      alwaysRequiresApproval: boolean;
      argumentsSchema: { type: string; properties: Record<string, unknown>; required?: string[] };
    }>;
    expect(items.map((t) => t.id).sort()).toEqual([
      'autotask.company.query',
      'autotask.resource.query',
      'autotask.ticket.add_note',
      'autotask.ticket.query',
      'autotask.ticket.update',
      'autotask.ticket.update_status',
      'autotask.time_entry.add',
      'datto-edr.alert.list',
      'datto-edr.host.isolate',
      'datto-edr.incident.list',
      'datto-rmm.alert.list_open',
      'datto-rmm.device.get',
      'datto-rmm.device.list',
      'datto-rmm.device.monitor_state',
      'datto-rmm.device.run_quick_job',
      'datto-rmm.site.list',
      'halopsa.ticket.add_action',
      'itglue.configuration.list',
      'itglue.configuration.lookup',
      'itglue.organization.list',
      'itglue.organization.lookup',
      'itglue.password.list',
      'itglue.password.reveal',
      'microsoft365.group.list',
      'microsoft365.license.assign',
      'microsoft365.license.assigned',
      'microsoft365.license.remove',
      'microsoft365.license.subscribed',
      'microsoft365.mailbox.settings',
      'microsoft365.user.block_sign_in',
      'microsoft365.user.list',
      'microsoft365.user.lookup',
      'microsoft365.user.reset_password',
      'pax8.company.list',
      'pax8.order.list',
      'pax8.order.place',
      'pax8.subscription.list',
      'pax8.subscription.set_quantity',
      'unifi.client.list',
      'unifi.device.list',
      'unifi.device.restart',
      'unifi.firewall.set_enabled',
      'unifi.site.list',
    ]);
    const note = items.find((t) => t.id === 'autotask.ticket.add_note')!;
    expect(note).toMatchObject({ vendor: 'autotask', writes: true, alwaysRequiresApproval: false });
    expect(note.argumentsSchema.type).toBe('object');
    expect(Object.keys(note.argumentsSchema.properties).sort()).toEqual([
      'description',
      'noteType',
      'publish',
      'ticketId',
      'title',
    ]);
    expect(note.argumentsSchema.required?.sort()).toEqual(['description', 'ticketId']);
    expect(items.find((t) => t.id === 'datto-edr.host.isolate')).toMatchObject({ alwaysRequiresApproval: true });
    // IT Glue only reads; a Microsoft 365 write changes the customer's tenant, so it always waits.
    for (const t of items.filter((i) => i.vendor === 'itglue')) expect(t.writes).toBe(false);
    for (const t of items.filter((i) => i.vendor === 'microsoft365' && i.writes)) {
      expect(t.alwaysRequiresApproval).toBe(true);
    }
    expect(items.find((t) => t.id === 'itglue.password.reveal')).toMatchObject({ alwaysRequiresApproval: true });

    const eventsOnly = await api('POST', '/api/v1/api-keys', { body: { name: 'events', scopes: ['events:read'] } });
    expect(eventsOnly.status).toBe(201);
    expectProblem(
      await call(host.baseUrl, 'GET', '/api/v1/tools', { key: String(eventsOnly.json.key) }),
      403,
      'insufficient_scope',
    );
  });
});

describe('SOPs over HTTP', () => {
  it('create, get, list, replace (a new version), delete; another tenant sees none of it', async () => {
    const created = await api('POST', '/api/v1/sops', { body: noteSop() });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ name: 'Printer jam: note on the ticket', enabled: true, version: 1 });
    const id = String(created.json.id);
    expect(created.json.steps).toEqual([
      {
        tool: 'autotask.ticket.add_note',
        args: { ticketId: '{{event.entities.ticketId}}', description: 'Seen: {{event.subject}}' },
        requiresApproval: false,
      },
    ]);

    const got = await call(host.baseUrl, 'GET', `/api/v1/sops/${id}`, { key: readerKey });
    expect(got.status).toBe(200);
    expect(got.json).toEqual(created.json);
    const listed = await api('GET', '/api/v1/sops?limit=200');
    expect((listed.json.items as Array<{ id: string }>).map((s) => s.id)).toContain(id);

    const replaced = await api('PUT', `/api/v1/sops/${id}`, {
      body: noteSop({ name: 'Printer jam (v2)', enabled: false }),
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json).toMatchObject({ id, name: 'Printer jam (v2)', enabled: false, version: 2 });

    expectProblem(await call(host.baseUrl, 'GET', `/api/v1/sops/${id}`, { key: otherKey }), 404, 'not_found');
    expectProblem(await call(host.baseUrl, 'DELETE', `/api/v1/sops/${id}`, { key: otherKey }), 404, 'not_found');
    const otherList = await call(host.baseUrl, 'GET', '/api/v1/sops', { key: otherKey });
    expect(otherList.json.items).toEqual([]);
    expectProblem(
      await call(host.baseUrl, 'DELETE', `/api/v1/sops/${id}`, { key: readerKey }),
      403,
      'insufficient_scope',
    );

    const deleted = await api('DELETE', `/api/v1/sops/${id}`);
    expect(deleted.status).toBe(204);
    expectProblem(await api('GET', `/api/v1/sops/${id}`), 404, 'not_found');
    expectProblem(await api('PUT', `/api/v1/sops/${id}`, { body: noteSop() }), 404, 'not_found');
  });

  const refusals: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'an unknown tool',
      { tool: 'autotask.ticket.delete', args: {} },
      'body.steps.0.tool',
      /unknown tool "autotask\.ticket\.delete"/,
    ],
    [
      'a placeholder outside the event',
      {
        tool: 'autotask.ticket.add_note',
        args: { ticketId: '{{event.entities.ticketId}}', description: '{{env.SECRET}}' },
      },
      'body.steps.0.args.description',
      /./,
    ],
    [
      'an unclosed placeholder',
      {
        tool: 'autotask.ticket.add_note',
        args: { ticketId: '{{event.entities.ticketId}}', description: 'Seen: {{event.subject' },
      },
      'body.steps.0.args.description',
      /./,
    ],
    [
      'a missing required argument',
      { tool: 'autotask.ticket.add_note', args: { ticketId: '{{event.entities.ticketId}}' } },
      'body.steps.0.args.description',
      /needs argument "description"/,
    ],
    [
      'an argument the tool does not take',
      { tool: 'autotask.ticket.add_note', args: { ticketId: '1', description: 'x', colour: 'red' } },
      'body.steps.0.args.colour',
      /takes no argument "colour"/,
    ],
    [
      'a literal of the wrong type',
      { tool: 'autotask.ticket.add_note', args: { ticketId: 'abc', description: 'x' } },
      'body.steps.0.args.ticketId',
      /./,
    ],
    [
      'an integration that does not exist',
      { tool: 'autotask.ticket.add_note', integrationId: 'int-missing', args: { ticketId: '1', description: 'x' } },
      'body.steps.0.integrationId',
      /no integration "int-missing" exists/,
    ],
  ];
  for (const [what, step, path, message] of refusals) {
    it(`refuses ${what} with 400 validation_failed naming ${path}`, async () => {
      const res = await api('POST', '/api/v1/sops', { body: noteSop({ steps: [step] }) });
      expectProblem(res, 400, 'validation_failed');
      const errors = res.json.errors as Array<{ path: string; message: string }>;
      const error = errors.find((e) => e.path === path);
      expect(error, JSON.stringify(errors)).toBeDefined();
      expect(error!.message).toMatch(message);
    });
  }

  it("refuses a step whose integration is another vendor's, and one of another tenant's integrations", async () => {
    const wrongVendor = await api('POST', '/api/v1/sops', {
      body: noteSop({
        steps: [{ tool: 'autotask.ticket.add_note', integrationId: edrId, args: { ticketId: '1', description: 'x' } }],
      }),
    });
    expectProblem(wrongVendor, 400, 'validation_failed');
    expect(JSON.stringify(wrongVendor.json.errors)).toContain('is a datto-edr integration');
    const foreign = await call(host.baseUrl, 'POST', '/api/v1/sops', {
      key: otherKey,
      body: noteSop({
        steps: [
          { tool: 'autotask.ticket.add_note', integrationId: autotaskId, args: { ticketId: '1', description: 'x' } },
        ],
      }),
    });
    expectProblem(foreign, 400, 'validation_failed');
  });
});

describe('approvals and agent runs over HTTP', () => {
  let approvalSopId: string;
  beforeAll(async () => {
    const sop = await api('POST', '/api/v1/sops', {
      body: {
        name: 'Ransomware: isolate the host',
        match: { source: 'autotask', keywords: ['ransomware'], priority: 500 },
        steps: [
          {
            name: 'Isolate',
            tool: 'datto-edr.host.isolate',
            integrationId: edrId,
            args: { agentId: 'edr-{{event.entities.ticketId}}' },
          },
          {
            tool: 'autotask.ticket.add_note',
            args: { ticketId: '{{event.entities.ticketId}}', description: 'Host isolated after approval.' },
          },
        ],
      },
    });
    expect(sop.status, sop.text).toBe(201);
    approvalSopId = String(sop.json.id);
  });

  it('approve without a body: 403 without the scope, 404 from another tenant, 409 to reject after; the run and its ledger read back', async () => {
    const eventId = await sendTicket(9101, 'Ransomware on WS12');
    const waiting = await eventReaches(eventId, ['awaiting_approval', 'failed', 'succeeded']);
    expect(waiting.status).toBe('awaiting_approval');
    const approvalId = `apr-${eventId}-0`;
    const runId = String(waiting.agentRunId);
    expect(runId).toBe(`run-${eventId}`);

    const pending = await call(host.baseUrl, 'GET', '/api/v1/approvals?status=pending', { key: readerKey });
    expect(pending.status).toBe(200);
    const listed = (pending.json.items as Array<Record<string, unknown>>).find((a) => a.id === approvalId);
    expect(listed).toMatchObject({
      eventId,
      agentRunId: runId,
      stepIndex: 0,
      sopId: approvalSopId,
      tool: 'datto-edr.host.isolate',
      vendor: 'datto-edr',
      args: { agentId: 'edr-9101' },
      status: 'pending',
      decidedAt: null,
    });
    const foreign = await call(host.baseUrl, 'GET', '/api/v1/approvals', { key: otherKey });
    expect(foreign.status).toBe(200);
    expect(foreign.json.items).toEqual([]);

    const run = await api('GET', `/api/v1/agent-runs/${runId}`);
    expect(run.status, run.text).toBe(200);
    expect(run.json).toMatchObject({ id: runId, eventId, sopId: approvalSopId, status: 'awaiting_approval' });
    const steps = run.json.steps as Array<Record<string, unknown>>;
    expect(steps[0]).toMatchObject({
      index: 0,
      name: 'Isolate',
      tool: 'datto-edr.host.isolate',
      vendor: 'datto-edr',
      requiresApproval: true,
      status: 'awaiting_approval',
      approvalId,
      toolCallStep: `run-${eventId}-0`,
      ledger: null,
    });
    expect(steps[1]).toMatchObject({ status: 'pending', requiresApproval: false, ledger: null });

    // Deciding needs approvals:write, and only the approval's own tenant can see it.
    expectProblem(
      await call(host.baseUrl, 'POST', `/api/v1/approvals/${approvalId}/approve`, { key: readerKey }),
      403,
      'insufficient_scope',
    );
    expectProblem(
      await call(host.baseUrl, 'POST', `/api/v1/approvals/${approvalId}/approve`, { key: otherKey }),
      404,
      'not_found',
    );
    expectProblem(
      await call(host.baseUrl, 'GET', `/api/v1/approvals/${approvalId}`, { key: otherKey }),
      404,
      'not_found',
    );
    expectProblem(await call(host.baseUrl, 'GET', `/api/v1/agent-runs/${runId}`, { key: otherKey }), 404, 'not_found');

    const approved = await api('POST', `/api/v1/approvals/${approvalId}/approve`);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json).toMatchObject({ id: approvalId, status: 'approved', comment: null });
    expect(approved.json.decidedBy).toEqual(expect.any(String));
    expectProblem(await api('POST', `/api/v1/approvals/${approvalId}/reject`), 409, 'approval_already_decided');
    // The same decision again is idempotent.
    const again = await api('POST', `/api/v1/approvals/${approvalId}/approve`, { body: { comment: 'still yes' } });
    expect(again.status).toBe(200);

    const done = await eventReaches(eventId, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(edr.received('POST', '/api/Agents/toggleIsolation').map((r) => r.json)).toEqual([
      { ids: ['edr-9101'], isolated: true },
    ]);
    const finished = await api('GET', `/api/v1/agent-runs/${runId}`);
    expect(finished.json.status).toBe('succeeded');
    const [isolate, note] = finished.json.steps as Array<Record<string, unknown>>;
    expect(isolate).toMatchObject({
      status: 'succeeded',
      approvalId,
      integrationId: edrId,
      ledger: { status: 'succeeded', attempt: 0 },
    });
    expect(note).toMatchObject({ status: 'succeeded', integrationId: autotaskId, ledger: { status: 'succeeded' } });
    const ofEvent = await api('GET', `/api/v1/events/${eventId}/agent-runs`);
    expect(ofEvent.status).toBe(200);
    expect(ofEvent.json.items).toEqual([finished.json]);
  });

  it('reject with an empty JSON body fails the event as approval_rejected; approving afterwards is 409', async () => {
    const eventId = await sendTicket(9102, 'Ransomware on WS13');
    expect((await eventReaches(eventId, ['awaiting_approval', 'failed', 'succeeded'])).status).toBe(
      'awaiting_approval',
    );
    const approvalId = `apr-${eventId}-0`;
    const rejected = await api('POST', `/api/v1/approvals/${approvalId}/reject`, {
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.json).toMatchObject({ status: 'rejected' });
    expectProblem(await api('POST', `/api/v1/approvals/${approvalId}/approve`), 409, 'approval_already_decided');
    const failed = await eventReaches(eventId, ['failed', 'succeeded']);
    expect(failed).toMatchObject({ status: 'failed', stage: 'agent_execution', errorType: 'approval_rejected' });
    expect(
      edr.received('POST', '/api/Agents/toggleIsolation').filter((r) => JSON.stringify(r.json).includes('edr-9102')),
    ).toEqual([]);
    const run = await api('GET', `/api/v1/agent-runs/run-${eventId}`);
    expect(run.json.status).toBe('failed');
    expect((run.json.steps as Array<Record<string, unknown>>)[0]).toMatchObject({ status: 'rejected', approvalId });
  });

  it('a decision body that is not JSON is still refused; unknown ids are 404', async () => {
    expectProblem(
      await api('POST', '/api/v1/approvals/apr-nope-0/approve', {
        rawBody: 'yes',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'unsupported_media_type',
    );
    expectProblem(await api('POST', '/api/v1/approvals/apr-nope-0/approve'), 404, 'not_found');
    expectProblem(await api('GET', '/api/v1/agent-runs/run-nope'), 404, 'not_found');
    expectProblem(await api('GET', '/api/v1/events/nope/agent-runs'), 404, 'not_found');
  });
});
