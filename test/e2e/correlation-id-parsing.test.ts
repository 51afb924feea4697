import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsesAsNonString } from '../../shared/http/correlation';
import { AutotaskFake } from '../fakes/autotask';
import { arrangeDiskFullSop } from '../support/autotask-pipeline';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * A correlation id the Node worker would JSON-parse into something else (`1e400` → Infinity,
 * `true` → true) must not turn an event's queue messages into poison messages: the receive path
 * replaces it, and the event runs through the pipeline like any other.
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

function signedTicket(webhook: { id: string; secret: string }, ticketId: number, correlationId: string) {
  const body = JSON.stringify({
    Action: 'Create',
    Guid: randomUUID(),
    EntityType: 'Ticket',
    Id: ticketId,
    Fields: { Title: 'Disk full on SRV02', Priority: 2 },
    EventTime: new Date().toISOString(),
    SequenceNumber: 1,
    PersonID: 29682885,
  });
  return call(host.baseUrl, 'POST', `/api/hooks/${webhook.id}`, {
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'x-correlation-id': correlationId,
      'x-hook-signature': `sha1=${createHmac('sha1', webhook.secret).update(body).digest('base64')}`,
    },
  });
}

describe('JSON-parsable correlation ids', () => {
  it('a webhook sent with x-correlation-id 1e400 gets a minted id, and its event succeeds instead of ending as a poison message', async () => {
    const { webhook } = await arrangeDiskFullSop(host.baseUrl, key, autotask.baseUrl);
    expect(webhook.status).toBe(201);
    const hook = { id: String(webhook.json.id), secret: String(webhook.json.secret) };

    const received = await signedTicket(hook, 5150, '1e400');
    expect(received.status).toBe(202);
    const minted = received.headers.get('x-correlation-id');
    expect(minted).toBeTruthy();
    expect(minted).not.toBe('1e400');
    expect(parsesAsNonString(minted!)).toBe(false);

    const eventId = String(received.json.eventId);
    const event = await eventually(async () => {
      const found = await call(host.baseUrl, 'GET', `/api/v1/events/${eventId}`, { key });
      return found.status === 200 && ['succeeded', 'failed'].includes(String(found.json.status))
        ? found.json
        : undefined;
    }, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nhost:\n${host.output().slice(-4000)}`);
    });
    expect(event).toMatchObject({ id: eventId, status: 'succeeded', correlationId: minted, failure: null });
  });

  it('replaces such ids on API routes alike, and keeps ids that stay strings', async () => {
    for (const sent of ['true', '12345678901234567890', 'null']) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=1', {
        key,
        headers: { 'x-correlation-id': sent },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-correlation-id')).not.toBe(sent);
    }
    const kept = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=1', {
      key,
      headers: { 'x-correlation-id': 'ops-trace.42' },
    });
    expect(kept.headers.get('x-correlation-id')).toBe('ops-trace.42');
  });
});
