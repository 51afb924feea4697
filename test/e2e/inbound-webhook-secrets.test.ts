import { createHmac, randomUUID } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { type CallResult, call, eventually } from '../support/http';

/**
 * Over HTTP on the local host (docs/webhooks-receiving.md): a Graph notification with the right
 * clientState is accepted and processed, yet no events or failures response, no table row in the
 * whole Azurite account and no blob holds the webhook secret; and a captured `sha256=` delivery
 * re-sent with another X-Webhook-Id, with none, or with one byte re-encoded as U+FFFD makes no
 * second event.
 */
let host: HostProcess;
let key: string;
let connection: string;

beforeAll(async () => {
  const env = sharedAzuriteEnv();
  key = env.BOOTSTRAP_API_KEY!;
  connection = env.DataStorage!;
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await host?.stop();
});

const api = (method: string, path: string, body?: unknown) =>
  call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

const post = (id: string, body: string | Buffer, headers: Record<string, string>) =>
  call(host.baseUrl, 'POST', `/api/hooks/${id}`, {
    rawBody: body,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** The event once processing has stopped with a Failure Analysis (no SOP matches these). */
async function settled(eventId: string): Promise<CallResult> {
  return eventually(async () => {
    const r = await api('GET', `/api/v1/events/${eventId}`);
    return r.status === 200 && r.json.status === 'failed' && r.json.failure ? r : undefined;
  }, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\nhost:\n${host.output().slice(-3000)}`);
  });
}

/** Every place in the storage account (all tables, all blob containers) a needle occurs. */
async function storageHits(needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  const insecure = { allowInsecureConnection: true };
  const found = (text: string) => needles.some((needle) => text.includes(needle));
  for await (const table of TableServiceClient.fromConnectionString(connection, insecure).listTables()) {
    const name = table.name!;
    for await (const entity of TableClient.fromConnectionString(connection, name, insecure).listEntities()) {
      if (found(JSON.stringify(entity, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))))
        hits.push(`table ${name} ${entity.partitionKey}|${entity.rowKey}`);
    }
  }
  const blobs = BlobServiceClient.fromConnectionString(connection);
  for await (const container of blobs.listContainers()) {
    const client = blobs.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat()) {
      const bytes = await client.getBlobClient(blob.name).downloadToBuffer();
      if (found(bytes.toString('utf8')) || found(bytes.toString('latin1')))
        hits.push(`blob ${container.name}/${blob.name}`);
    }
  }
  return hits;
}

describe('webhook secrets never leave receive', () => {
  it('a Graph notification with the right clientState is accepted; no events response, table row or blob holds the secret', async () => {
    const integration = await api('POST', '/api/v1/integrations?skipTest=true', {
      vendor: 'microsoft365',
      name: 'M365 (secrets e2e)',
      credentials: FAKE_CREDENTIALS.microsoft365,
      config: fakeConfig('microsoft365', 'http://127.0.0.1:9'),
    });
    expect(integration.status).toBe(201);
    const hook = await api('POST', '/api/v1/webhooks', { integrationId: integration.json.id });
    expect(hook.status).toBe(201);
    const secret = String(hook.json.secret);
    // The secret as it could appear anywhere: whole, without its prefix, JSON-escaped.
    const bare = secret.slice('whsec_'.length);
    const needles = [secret, bare, JSON.stringify(bare).slice(1, -1), bare.replace(/\//g, '\\/')];

    const notification = (extra: Record<string, unknown>) =>
      JSON.stringify({
        value: [
          {
            subscriptionId: randomUUID(),
            changeType: 'updated',
            resource: 'users/6e7b768e-07e2-4810-8459-485f84f8f204',
            clientState: secret,
            tenantId: 'contoso',
            resourceData: { id: '6e7b768e-07e2-4810-8459-485f84f8f204', ...extra },
          },
        ],
      });
    // One small (inline row, preview) and one over 32 KiB (a payload blob).
    const small = await post(String(hook.json.id), notification({}), {});
    const large = await post(String(hook.json.id), notification({ pad: 'x'.repeat(40_000) }), {});
    expect([small.status, large.status]).toEqual([202, 202]);
    // A wrong clientState is still refused: masking changed nothing about verification.
    const forged = await post(String(hook.json.id), notification({}).replace(secret, 'whsec_forged'), {});
    expect([forged.status, forged.json.code]).toEqual([401, 'client_state_mismatch']);

    const ids = [String(small.json.eventId), String(large.json.eventId)];
    const responses: CallResult[] = [];
    for (const id of ids) responses.push(await settled(id));
    expect(responses[0]!.json.payloadPreview).toContain('"clientState":"[redacted]"');
    responses.push(await api('GET', '/api/v1/events?limit=100'));
    responses.push(await api('GET', '/api/v1/events?source=microsoft365'));
    responses.push(await api('GET', '/api/v1/failures'));
    for (const id of ids) responses.push(await api('GET', `/api/v1/events/${id}/agent-runs`));
    for (const r of responses) {
      expect(r.status).toBe(200);
      for (const needle of needles) expect(r.text).not.toContain(needle);
    }
    const listed = (responses[2]!.json.items as Array<{ id: string }>).map((e) => e.id);
    expect(listed).toEqual(expect.arrayContaining(ids));

    expect(await storageHits(needles)).toEqual([]);
  }, 120_000);
});

describe('a captured sha256= delivery is one event', () => {
  it('resent with a new X-Webhook-Id, with none, and with one byte replaced by U+FFFD: no second event', async () => {
    const hook = await api('POST', '/api/v1/webhooks', { name: 'capture' });
    expect(hook.status).toBe(201);
    const id = String(hook.json.id);
    const body = Buffer.concat([
      Buffer.from(`{"type":"alert.triggered","subject":"isolate me ${randomUUID()} `),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const signature = `sha256=${createHmac('sha256', String(hook.json.secret)).update(body).digest('hex')}`;
    const first = await post(id, body, { 'x-webhook-signature': signature, 'x-webhook-id': 'capture-1' });
    expect(first.status).toBe(202);
    const eventId = String(first.json.eventId);

    for (const headers of [
      { 'x-webhook-signature': signature, 'x-webhook-id': 'capture-2' },
      { 'x-webhook-signature': signature, 'x-webhook-id': randomUUID() },
      { 'x-webhook-signature': signature },
    ] as Array<Record<string, string>>) {
      const again = await post(id, body, headers);
      expect([again.status, again.json]).toEqual([200, { duplicate: true, eventId }]);
    }
    // 0xFF → EF BF BD decodes to the same text; the HMAC covers the bytes, so it no longer verifies.
    const reEncoded = Buffer.from(body.toString('latin1').replace('\u00ff', '\u00ef\u00bf\u00bd'), 'latin1');
    const swapped = await post(id, reEncoded, { 'x-webhook-signature': signature, 'x-webhook-id': 'capture-3' });
    expect([swapped.status, swapped.json.code]).toEqual([401, 'signature_invalid']);

    await settled(eventId);
    const events = await api('GET', '/api/v1/events?limit=100');
    const fromHook = (events.json.items as Array<{ id: string; webhookId: string }>).filter((e) => e.webhookId === id);
    expect(fromHook.map((e) => e.id)).toEqual([eventId]);
  }, 120_000);
});
