import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { type CallResult, call, eventually } from '../support/http';

/**
 * The inbound half of the pipeline (docs/design.md §6.1, §6.2, §6.8–6.10) over HTTP on the local host: webhook registrations, every rejection
 * with its own status and code, a delivery that no SOP matches ending as a Failure Analysis with a
 * specific fix, the events and failures APIs, and replay with its guard codes.
 */
let host: HostProcess;
let key: string;

beforeAll(async () => {
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await host?.stop();
});

const api = (method: string, path: string, body?: unknown) =>
  call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

function signedPost(id: string, secret: string, body: string, extra: Record<string, string> = {}): Promise<CallResult> {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  return call(host.baseUrl, 'POST', `/api/hooks/${id}`, {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${hex}`, ...extra },
  });
}

async function terminal(eventId: string) {
  return eventually(async () => {
    const r = await api('GET', `/api/v1/events/${eventId}`);
    return r.status === 200 &&
      ['succeeded', 'failed', 'awaiting_approval'].includes(String(r.json.status)) &&
      r.json.failure
      ? r.json
      : undefined;
  }, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\nhost:\n${host.output().slice(-3000)}`);
  });
}

describe('inbound webhooks over HTTP', () => {
  it('registers, lists, rotates, disables and deletes a webhook; the secret is shown only at creation and rotation', async () => {
    const created = await api('POST', '/api/v1/webhooks', { name: 'Monitoring' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      source: 'generic',
      name: 'Monitoring',
      status: 'active',
      integrationId: null,
    });
    expect(String(created.json.secret)).toMatch(/^whsec_/);
    expect(String(created.json.url)).toMatch(new RegExp(`/api/hooks/${created.json.id}$`));
    const id = String(created.json.id);
    const got = await api('GET', `/api/v1/webhooks/${id}`);
    expect(got.status).toBe(200);
    expect(got.json.secret).toBeUndefined();
    expect(got.text).not.toContain(String(created.json.secret));
    const listed = await api('GET', '/api/v1/webhooks');
    expect((listed.json.items as Array<{ id: string }>).map((w) => w.id)).toContain(id);
    expect(got.json.vendorRegistration).toBeNull();
    // A generic sender's webhook has no vendor to push it to (the vendors: test/integration/webhook-push).
    const pushed = await api('POST', `/api/v1/webhooks/${id}/push`);
    expect(pushed.status).toBe(422);
    expect(pushed.json.code).toBe('webhook_push_unsupported');
    const rotated = await api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { graceSeconds: 60 });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(created.json.secret);
    expect(rotated.json.previousSecretExpiresAt).not.toBeNull();
    expect((await api('POST', `/api/v1/webhooks/${id}/disable`)).json.status).toBe('disabled');
    const body = JSON.stringify({ type: 'ticket.created' });
    expect((await signedPost(id, String(rotated.json.secret), body)).status).toBe(404);
    expect((await api('DELETE', `/api/v1/webhooks/${id}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('answers each bad delivery with its own status and code', async () => {
    const hook = (await api('POST', '/api/v1/webhooks', {})).json;
    const id = String(hook.id);
    const secret = String(hook.secret);
    const body = JSON.stringify({ type: 'alert.triggered', subject: 'x' });
    const codeOf = (r: CallResult) => [r.status, r.json.code];
    expect(codeOf(await signedPost('wh_unknownunknownunknown00', secret, body))).toEqual([404, 'webhook_not_found']);
    expect(codeOf(await signedPost(id, 'whsec_other', body))).toEqual([401, 'signature_invalid']);
    expect(
      codeOf(
        await call(host.baseUrl, 'POST', `/api/hooks/${id}`, {
          rawBody: body,
          headers: { 'content-type': 'application/json' },
        }),
      ),
    ).toEqual([401, 'signature_missing']);
    const ts = Math.floor(Date.now() / 1000) - 600;
    const sig = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(`m1.${ts}.${body}`)
      .digest('base64');
    expect(
      codeOf(
        await call(host.baseUrl, 'POST', `/api/hooks/${id}`, {
          rawBody: body,
          headers: { 'webhook-id': 'm1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` },
        }),
      ),
    ).toEqual([401, 'timestamp_out_of_range']);
    expect(codeOf(await signedPost(id, secret, '{"type":'))).toEqual([400, 'malformed_json']);
    const big = `{"type":"a.b","pad":"${'x'.repeat(1024 * 1024)}"}`;
    expect(codeOf(await signedPost(id, secret, big))).toEqual([413, 'payload_too_large']);

    const failures = await api('GET', '/api/v1/failures?stage=validation');
    const groups = failures.json.groups as Array<{
      errorType: string;
      examples: Array<{ kind: string; webhookId: string }>;
    }>;
    const rejections = groups.flatMap((g) => g.examples).filter((e) => e.kind === 'rejection' && e.webhookId === id);
    expect(rejections.length).toBeGreaterThanOrEqual(3);
  });

  it('a delivery no SOP matches dead-letters at sop_matching with a fix naming keyword and source; replay guards answer with their codes', async () => {
    const hook = (await api('POST', '/api/v1/webhooks', {})).json;
    const body = JSON.stringify({ type: 'alert.triggered', subject: 'disk_full on NAS', keywords: ['disk_full'] });
    const accepted = await signedPost(String(hook.id), String(hook.secret), body, { 'x-webhook-id': randomUUID() });
    expect(accepted.status).toBe(202);
    const eventId = String(accepted.json.eventId);
    const event = await terminal(eventId);
    expect(event).toMatchObject({
      status: 'failed',
      stage: 'sop_matching',
      source: 'generic',
      type: 'alert.triggered',
    });
    const failure = event.failure as { stage: string; errorType: string; suggestedFix: string };
    expect(failure).toMatchObject({ stage: 'sop_matching', errorType: 'no_sop_matched' });
    expect(failure.suggestedFix).toContain("keyword 'disk_full' for source 'generic'");
    const timeline = (event.timeline as Array<{ stage: string; outcome: string }>).map(
      (t) => `${t.stage}:${t.outcome}`,
    );
    expect(timeline).toEqual(['validation:succeeded', 'sop_matching:failed']);

    const listed = await api('GET', '/api/v1/events?errorType=no_sop_matched');
    expect((listed.json.items as Array<{ id: string }>).map((i) => i.id)).toContain(eventId);
    const failures = await api('GET', '/api/v1/failures?errorType=no_sop_matched');
    expect((failures.json.groups as Array<{ stage: string; count: number }>)[0]).toMatchObject({
      stage: 'sop_matching',
    });

    const replay = await api('POST', `/api/v1/events/${eventId}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.json.replayOf).toBe(eventId);
    const again = await api('POST', `/api/v1/events/${eventId}/replay`);
    // In flight, or — if the replay already failed — the cooldown with Retry-After.
    if (again.status === 409) {
      expect(again.json).toMatchObject({ code: 'replay_in_flight', conflicting_replay_id: replay.json.eventId });
    } else {
      expect(again.status).toBe(429);
      expect(again.json.code).toBe('replay_cooldown');
      expect(again.headers.get('retry-after')).toBe(String(again.json.retry_after_seconds));
    }
    const replayed = await terminal(String(replay.json.eventId));
    expect(replayed).toMatchObject({ replayOf: eventId, trigger: 'manual', status: 'failed' });
    const cooldown = await api('POST', `/api/v1/events/${eventId}/replay`);
    expect(cooldown.status).toBe(429);
    expect(cooldown.json.code).toBe('replay_cooldown');
    expect(Number(cooldown.json.retry_after_seconds)).toBeGreaterThan(200);
    expect(cooldown.headers.get('retry-after')).toBe(String(cooldown.json.retry_after_seconds));
    const detail = await api('GET', `/api/v1/events/${eventId}`);
    expect((detail.json.replays as Array<{ eventId: string }>).map((r) => r.eventId)).toEqual([replay.json.eventId]);
  }, 120_000);
  it("a deleted integration's webhooks stop at once: its deliveries answer 404", async () => {
    const integration = await api('POST', '/api/v1/integrations?skipTest=true', {
      vendor: 'autotask',
      name: 'Autotask (deleted soon)',
      credentials: { username: 'api@example.test', secret: 'not-used-here', integrationCode: 'CODE0001' },
      config: { baseUrl: 'http://127.0.0.1:9' },
    });
    expect(integration.status).toBe(201);
    const hook = await api('POST', '/api/v1/webhooks', { integrationId: integration.json.id });
    expect(hook.status).toBe(201);
    const autotaskPost = (guid: string) => {
      const body = JSON.stringify({ Action: 'Create', Guid: guid, EntityType: 'Ticket', Id: 1, SequenceNumber: 1 });
      const signature = createHmac('sha1', String(hook.json.secret)).update(body).digest('base64');
      return call(host.baseUrl, 'POST', `/api/hooks/${hook.json.id}`, {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'x-hook-signature': `sha1=${signature}` },
      });
    };
    expect((await autotaskPost(randomUUID())).status).toBe(202);
    expect((await api('DELETE', `/api/v1/integrations/${integration.json.id}`)).status).toBe(204);
    const after = await autotaskPost(randomUUID());
    expect(after.status).toBe(404);
    expect(after.json.code).toBe('webhook_not_found');
  });
});
