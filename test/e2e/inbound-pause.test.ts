import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { type CallResult, call, eventually } from '../support/http';

/**
 * A paused inbound webhook on the local host (shared/inbound/held-events.ts): deliveries are still
 * signature-checked, accepted and stored `held` (listed by status), nothing processes them; the
 * resume sends each on to validation and they run through the pipeline.
 */
let host: HostProcess;
let key: string;
let env: Record<string, string>;
let second: HostProcess | undefined;

beforeAll(async () => {
  // One key ring for both hosts of the last test: two instances of one deployment.
  env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', CREDENTIAL_ENCRYPTION_KEY: generateFernetKey() });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await second?.stop();
  await host?.stop();
});

const api = (method: string, path: string, body?: unknown) =>
  call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

function signedPost(id: string, secret: string, body: string, on: HostProcess = host): Promise<CallResult> {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  return call(on.baseUrl, 'POST', `/api/hooks/${id}`, {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${hex}` },
  });
}

describe('a paused inbound webhook', () => {
  it('holds verified deliveries and processes them after the resume', async () => {
    const hook = (await api('POST', '/api/v1/webhooks', { name: 'Paused' })).json;
    const id = String(hook.id);
    const secret = String(hook.secret);
    const paused = await api('POST', `/api/v1/webhooks/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ paused: true, status: 'active' });
    expect(paused.json.pausedAt).not.toBeNull();

    // Still verified while paused: a bad signature is refused and stores nothing.
    const body = (n: number) => JSON.stringify({ type: 'alert.triggered', subject: `held ${n}`, keywords: ['held'] });
    expect((await signedPost(id, 'whsec_wrong', body(0))).status).toBe(401);
    const eventIds: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const accepted = await signedPost(id, secret, body(n));
      expect(accepted.status).toBe(202);
      eventIds.push(String(accepted.json.eventId));
    }
    // The same delivery again is a duplicate of the held event, not a new one.
    const again = await signedPost(id, secret, body(1));
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ duplicate: true, eventId: eventIds[0] });
    // Counted once each on the dashboard (the duplicate is not a new held event).
    const board = await api('GET', '/api/v1/dashboard?days=2');
    expect(board.status).toBe(200);
    expect(board.json.controls).toEqual({ held: 0, throttled: 0, inboundHeld: 3 });

    for (const eventId of eventIds) {
      const event = await api('GET', `/api/v1/events/${eventId}`);
      expect(event.json).toMatchObject({ status: 'held', stage: 'validation' });
      expect(event.json.timeline).toEqual([]);
    }
    const held = await api('GET', '/api/v1/events?status=held');
    expect((held.json.items as Array<{ id: string }>).map((e) => e.id)).toEqual(expect.arrayContaining(eventIds));

    const resumed = await api('POST', `/api/v1/webhooks/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json).toMatchObject({ paused: false, pausedAt: null, released: 3, more: false });
    for (const eventId of eventIds) {
      const done = await eventually(async () => {
        const r = await api('GET', `/api/v1/events/${eventId}`);
        return ['succeeded', 'failed'].includes(String(r.json.status)) ? r.json : undefined;
      }, 60_000);
      // No SOP matches these: they fail at sop_matching, which proves validation ran after the resume.
      expect(done).toMatchObject({ status: 'failed', stage: 'sop_matching' });
    }
    expect(((await api('GET', '/api/v1/events?status=held')).json.items as unknown[]).length).toBe(0);
    // A second resume finds nothing left.
    expect((await api('POST', `/api/v1/webhooks/${id}/resume`)).json).toMatchObject({ released: 0, more: false });
  });

  it('a delivery to another instance right after a resume is processed, though that instance cached the pause', async () => {
    second = await startHostProcess(env);
    const hook = (await api('POST', '/api/v1/webhooks', { name: 'Two instances' })).json;
    const id = String(hook.id);
    const secret = String(hook.secret);
    expect((await api('POST', `/api/v1/webhooks/${id}/pause`)).status).toBe(200);
    const body = (n: number) => JSON.stringify({ type: 'alert.triggered', subject: `two ${n}`, keywords: ['two'] });
    // The second instance now caches the webhook as paused.
    const held = await signedPost(id, secret, body(1), second);
    expect(held.status).toBe(202);
    expect((await api('GET', `/api/v1/events/${String(held.json.eventId)}`)).json).toMatchObject({ status: 'held' });

    // Resumed on the first instance; the second learns of it from the row, not its cache.
    expect((await api('POST', `/api/v1/webhooks/${id}/resume`)).json).toMatchObject({ paused: false, released: 1 });
    const after = await signedPost(id, secret, body(2), second);
    expect(after.status).toBe(202);
    for (const eventId of [String(held.json.eventId), String(after.json.eventId)]) {
      const done = await eventually(async () => {
        const r = await api('GET', `/api/v1/events/${eventId}`);
        return ['succeeded', 'failed'].includes(String(r.json.status)) ? r.json : undefined;
      }, 60_000);
      expect(done).toMatchObject({ status: 'failed', stage: 'sop_matching' });
    }
    expect(((await api('GET', '/api/v1/events?status=held')).json.items as unknown[]).length).toBe(0);
  });
});
