import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutotaskFake } from '../fakes/autotask';
import fixture from '../fixtures/routing/labelled-tickets.json';
import { arrangeDiskFullSop, postAutotaskTicket } from '../support/autotask-pipeline';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * Team routing over HTTP on the local host (docs/routing.md): the config's ETag-conditional PUT,
 * the dry run, a webhook-created Autotask ticket routed by the pipeline and reassigned by hand,
 * the accuracy that reassignment moves, and bad input as problem+json that changes nothing.
 * One tenant (the bootstrap key's) for the file, so the tests run in order.
 */
let host: HostProcess;
let key: string;
const autotask = new AutotaskFake();

beforeAll(async () => {
  await autotask.start();
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await host?.stop();
  await autotask.stop();
});

const problemOf = (res: { status: number; headers: Headers; json: Record<string, unknown> }) => ({
  status: res.status,
  type: res.headers.get('content-type')?.split(';')[0],
  code: res.json.code,
});

describe('routing over HTTP', () => {
  it('saves the config only with the If-Match of the version read; bad documents change nothing', async () => {
    const empty = await call(host.baseUrl, 'GET', '/api/v1/routing', { key });
    expect(empty.status).toBe(200);
    expect(empty.headers.get('etag')).toBe('"0"');
    expect(empty.json).toMatchObject({
      teams: [],
      rules: [],
      clientLinks: [],
      defaultTeamId: null,
      configured: false,
      version: 0,
    });

    const unconditional = await call(host.baseUrl, 'PUT', '/api/v1/routing', { key, body: fixture.config });
    expect(problemOf(unconditional)).toEqual({
      status: 428,
      type: 'application/problem+json',
      code: 'precondition_required',
    });
    const dangling = await call(host.baseUrl, 'PUT', '/api/v1/routing', {
      key,
      headers: { 'if-match': '"0"' },
      body: { ...fixture.config, defaultTeamId: 'nobody' },
    });
    expect(problemOf(dangling)).toEqual({ status: 400, type: 'application/problem+json', code: 'validation_failed' });
    expect(JSON.stringify(dangling.json)).toContain('defaultTeamId');
    const longKeyword = await call(host.baseUrl, 'PUT', '/api/v1/routing', {
      key,
      headers: { 'if-match': '"0"' },
      body: {
        ...fixture.config,
        rules: [{ id: 'r', name: 'R', teamId: 'desktop', when: { keywords: ['k'.repeat(41)] } }],
      },
    });
    expect(problemOf(longKeyword).code).toBe('validation_failed');
    expect((await call(host.baseUrl, 'GET', '/api/v1/routing', { key })).json.version).toBe(0);

    const saved = await call(host.baseUrl, 'PUT', '/api/v1/routing', {
      key,
      headers: { 'if-match': '"0"' },
      body: fixture.config,
    });
    expect(saved.status).toBe(200);
    expect(saved.headers.get('etag')).toBe('"1"');
    expect(saved.json).toMatchObject({ version: 1, configured: true, defaultTeamId: 'desktop' });

    const stale = await call(host.baseUrl, 'PUT', '/api/v1/routing', {
      key,
      headers: { 'if-match': '"0"' },
      body: { ...fixture.config, defaultTeamId: 'servers' },
    });
    expect(problemOf(stale)).toEqual({ status: 412, type: 'application/problem+json', code: 'precondition_failed' });
    const after = await call(host.baseUrl, 'GET', '/api/v1/routing', { key });
    expect(after.headers.get('etag')).toBe('"1"');
    expect(after.json.defaultTeamId).toBe('desktop');
  });

  it('the dry run names the team, what decided it and each rule tried, and stores nothing', async () => {
    const res = await call(host.baseUrl, 'POST', '/api/v1/routing/test', {
      key,
      body: { ticket: { vendor: 'autotask', ticketId: 'dry-1', subject: 'Firewall change' } },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      teamId: 'network',
      teamName: 'Network',
      by: 'rule',
      ruleId: 'network',
      checked: [
        { ruleId: 'security', matched: false, missed: ['keywords'] },
        { ruleId: 'network', matched: true, missed: [] },
      ],
    });
    const draft = await call(host.baseUrl, 'POST', '/api/v1/routing/test', {
      key,
      body: {
        ticket: { vendor: 'autotask', ticketId: 'dry-1', subject: 'Firewall change' },
        config: { ...fixture.config, rules: [], defaultTeamId: 'servers' },
      },
    });
    expect(draft.json).toMatchObject({ teamId: 'servers', by: 'default' });
    const bad = await call(host.baseUrl, 'POST', '/api/v1/routing/test', {
      key,
      body: { ticket: { vendor: 'nope', ticketId: 'x' } },
    });
    expect(problemOf(bad).code).toBe('validation_failed');
    const stored = await call(host.baseUrl, 'GET', '/api/v1/routing/decisions/autotask/dry-1', { key });
    expect(problemOf(stored)).toEqual({ status: 404, type: 'application/problem+json', code: 'not_found' });
  });

  it('a webhook-created ticket is routed by the pipeline; a manual reassignment is recorded and moves accuracy', async () => {
    const { integration, webhook } = await arrangeDiskFullSop(host.baseUrl, key, autotask.baseUrl);
    expect(integration.status).toBe(201);
    const received = await postAutotaskTicket(
      host.baseUrl,
      { id: String(webhook.json.id), secret: String(webhook.json.secret) },
      { id: 5150, fields: { Title: 'VPN drops every hour', CompanyID: 301, Priority: 2 } },
    );
    expect(received.status).toBe(202);
    const decision = await eventually(async () => {
      const found = await call(host.baseUrl, 'GET', '/api/v1/routing/decisions/autotask/5150', { key });
      return found.status === 200 ? found.json : undefined;
    }, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nhost:\n${host.output().slice(-4000)}`);
    });
    expect(decision).toMatchObject({
      vendor: 'autotask',
      ticketId: '5150',
      integrationId: integration.json.id,
      teamId: 'network',
      by: 'rule',
      ruleId: 'network',
      source: 'webhook',
      overridden: false,
      subject: 'VPN drops every hour',
    });

    const unknownTeam = await call(host.baseUrl, 'POST', '/api/v1/routing/decisions/autotask/5150/reassign', {
      key,
      body: { teamId: 'ghosts' },
    });
    expect(problemOf(unknownTeam).code).toBe('validation_failed');
    const moved = await call(host.baseUrl, 'POST', '/api/v1/routing/decisions/autotask/5150/reassign', {
      key,
      body: { teamId: 'security', note: 'a breach, not a network fault' },
    });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ teamId: 'security', by: 'manual', overridden: true, reassignments: 1 });

    const accuracy = await call(host.baseUrl, 'GET', '/api/v1/routing/accuracy?days=7', { key });
    expect(accuracy.status).toBe(200);
    expect(accuracy.json).toMatchObject({ days: 7, routed: 1, overridden: 1, accuracy: 0 });
    const listed = await call(host.baseUrl, 'GET', '/api/v1/routing/decisions', { key });
    expect(listed.json.items).toEqual([expect.objectContaining({ ticketId: '5150', teamId: 'security' })]);
    const audit = await call(host.baseUrl, 'GET', '/api/v1/audit?action=routing.ticket_reassigned', { key });
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.json)).toContain('autotask/5150');
  });

  it('bulk links clients, and refuses bad queries and paths with problem+json', async () => {
    const linked = await call(host.baseUrl, 'POST', '/api/v1/routing/client-links', {
      key,
      body: { teamId: 'servers', clients: [{ clientId: '501' }, { clientId: '502', vendor: 'halopsa' }] },
    });
    expect(linked.status).toBe(200);
    expect(linked.json).toEqual({ linked: 2, moved: 0, unlinked: 0, unchanged: 0, version: 2 });
    expect(linked.headers.get('etag')).toBe('"2"');
    const dry = await call(host.baseUrl, 'POST', '/api/v1/routing/test', {
      key,
      body: { ticket: { vendor: 'halopsa', ticketId: 'z', clientId: '502', subject: 'phishing' } },
    });
    expect(dry.json).toMatchObject({ teamId: 'servers', by: 'client_link' });

    const cases: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/routing/accuracy?days=0'],
      ['GET', '/api/v1/routing/accuracy?days=abc'],
      ['GET', '/api/v1/routing/decisions/nope/1'],
      ['GET', '/api/v1/routing/errors?limit=0'],
      ['POST', '/api/v1/routing/client-links', { teamId: 'servers', clients: [] }],
      ['POST', '/api/v1/routing/client-links', { teamId: 'ghosts', clients: [{ clientId: '1' }] }],
      ['POST', '/api/v1/routing/decisions/autotask/5150/reassign', { teamId: 'servers', extra: true }],
    ];
    for (const [method, path, body] of cases) {
      const res = await call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(res.headers.get('content-type'), `${method} ${path}`).toContain('application/problem+json');
    }
    expect((await call(host.baseUrl, 'GET', '/api/v1/routing', { key })).json.version).toBe(2);
    const errors = await call(host.baseUrl, 'GET', '/api/v1/routing/errors', { key });
    expect(errors.json).toEqual({ items: [], nextCursor: null });
  });
});
