import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { FAKE_ITGLUE_CREDENTIALS, FAKE_ITGLUE_PASSWORDS, ItGlueFake } from '../fakes/itglue';
import { postAutotaskTicket } from '../support/autotask-pipeline';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * The IT Glue password reveal through the whole pipeline on the local host (docs/tools.md,
 * "Secrets"): a SOP's reveal step waits for an approval, runs once approved, and IT Glue's answer
 * carries the value; afterwards no table row, no blob, no API answer about the event or its run and
 * no line the host logged holds it. The tool's own return value is the only place it existed.
 */
let host: HostProcess;
let key: string;
let connection: string;
const autotask = new AutotaskFake();
const itglue = new ItGlueFake();
const secret = FAKE_ITGLUE_PASSWORDS[0]!;

const api = (method: string, path: string, body?: unknown) =>
  call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

beforeAll(async () => {
  await autotask.start();
  await itglue.start();
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' });
  key = env.BOOTSTRAP_API_KEY!;
  connection = env.DataStorage!;
  host = await startHostProcess(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await autotask.stop();
  await itglue.stop();
});

async function storageHits(needle: string): Promise<string[]> {
  const hits: string[] = [];
  const insecure = { allowInsecureConnection: true };
  for await (const table of TableServiceClient.fromConnectionString(connection, insecure).listTables()) {
    const name = table.name!;
    for await (const entity of TableClient.fromConnectionString(connection, name, insecure).listEntities()) {
      const text = JSON.stringify(entity, (_k, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
      if (text.includes(needle)) hits.push(`table ${name} ${entity.partitionKey}|${entity.rowKey}`);
    }
  }
  const blobs = BlobServiceClient.fromConnectionString(connection);
  for await (const container of blobs.listContainers()) {
    const client = blobs.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat()) {
      const bytes = await client.getBlobClient(blob.name).downloadToBuffer();
      if (bytes.toString('utf8').includes(needle) || bytes.toString('latin1').includes(needle)) {
        hits.push(`blob ${container.name}/${blob.name}`);
      }
    }
  }
  return hits;
}

describe('an IT Glue password value is stored nowhere', () => {
  it('the approved reveal reads it from IT Glue; no table, blob, API answer or host log line holds it', async () => {
    const integration = async (body: object) => {
      const res = await api('POST', '/api/v1/integrations?skipTest=true', body);
      expect(res.status, res.text).toBe(201);
      return String(res.json.id);
    };
    const autotaskId = await integration({
      vendor: 'autotask',
      name: 'Autotask (fake)',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: autotask.baseUrl },
    });
    const itglueId = await integration({
      vendor: 'itglue',
      name: 'IT Glue (fake)',
      credentials: FAKE_ITGLUE_CREDENTIALS,
      config: { baseUrl: itglue.baseUrl },
    });
    const sop = await api('POST', '/api/v1/sops', {
      name: 'Locked out: fetch the domain admin password',
      match: { source: 'autotask', keywords: ['locked_out'] },
      steps: [{ tool: 'itglue.password.reveal', integrationId: itglueId, args: { passwordId: secret.id } }],
    });
    expect(sop.status, sop.text).toBe(201);
    const hook = await api('POST', '/api/v1/webhooks', { integrationId: autotaskId });
    expect(hook.status, hook.text).toBe(201);

    const sent = await postAutotaskTicket(
      host.baseUrl,
      { id: String(hook.json.id), secret: String(hook.json.secret) },
      { id: 7301, fields: { Title: 'Locked out of the DC', Priority: 1 } },
    );
    expect(sent.status, sent.text).toBe(202);
    const eventId = String(sent.json.eventId);
    const reaches = (statuses: string[]) =>
      eventually(async () => {
        const res = await api('GET', `/api/v1/events/${eventId}`);
        return res.status === 200 && statuses.includes(String(res.json.status)) ? res : undefined;
      }, 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\nhost:\n${host.output().slice(-4000)}`);
      });

    // The reveal always waits for a human: nothing reached IT Glue yet.
    const waiting = await reaches(['awaiting_approval', 'failed', 'succeeded']);
    expect(waiting.json.status, waiting.text).toBe('awaiting_approval');
    expect(itglue.requests.filter((r) => r.path.startsWith('/passwords'))).toEqual([]);

    const approved = await api('POST', `/api/v1/approvals/apr-${eventId}-0/approve`);
    expect(approved.status, approved.text).toBe(200);
    const done = await reaches(['succeeded', 'failed']);
    expect(done.json.status, done.text).toBe('succeeded');

    // IT Glue did answer with the value: the test is not passing because nothing was fetched.
    const reveals = itglue.requests.filter((r) => r.path === `/passwords/${secret.id}`);
    expect(reveals).toHaveLength(1);
    expect(reveals[0]!.query.show_password).toBe('true');

    const runs = await api('GET', `/api/v1/events/${eventId}/agent-runs`);
    expect(runs.status, runs.text).toBe(200);
    const answers = [done.text, runs.text];
    for (const text of answers) expect(text).not.toContain(secret.value);
    expect(done.text).toContain('itglue.password.reveal');

    expect(await storageHits(secret.value)).toEqual([]);
    expect(host.output()).not.toContain(secret.value);
  });
});
