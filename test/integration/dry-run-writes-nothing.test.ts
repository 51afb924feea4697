import { beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { resetCredentialCipher } from '../../shared/app/process-cipher';
import { buildServices, setServices } from '../../shared/app/services';
import { MemoryBus } from '../../shared/bus/memory-bus';
import { setProcessBus } from '../../shared/bus/process-bus';
import { resetSettingsCache, settings } from '../../shared/config/settings';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { dryRunDeps } from '../../shared/dry-run/deps';
import { dryRunEvent, dryRunWebhook } from '../../shared/dry-run/dry-run';
import { createEvent } from '../../shared/events/event-store';
import { webhookDeps } from '../../shared/inbound/deps';
import { createWebhook } from '../../shared/inbound/webhooks';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/sops';
import type { StorageAccount } from '../../shared/storage/connection';
import { memoryStorageAccount } from '../../shared/storage/memory-account';

/**
 * The dry runs write nothing: the process' storage account is wrapped so every call that creates,
 * changes or deletes a table row, blob, queue message or container is recorded, the bus counts its
 * sends, and after arranging a webhook, a SOP and a stored event the record is cleared and both
 * dry runs run through their real deps. The record must stay empty (docs/pipeline.md, "Dry run").
 */
const WRITING = /^(create|upsert|update|delete|submit|upload|set|commit|send|put|append|clear|stage|start|sync)/i;
/**
 * Not a write of data: a table repository makes sure its table exists before its first call of
 * any kind, reads included (`createTable` is idempotent provisioning; a deployed account has the
 * tables already). The first read of the integrations tables here does that.
 */
const PROVISIONING = new Set(['createTable']);

/** Records every writing call on an SDK client and on the clients its methods hand out. */
function recording<T extends object>(target: T, label: string, writes: string[]): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value = Reflect.get(obj, prop, obj) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (WRITING.test(String(prop)) && !PROVISIONING.has(String(prop))) writes.push(`${label}.${String(prop)}`);
        const result = (value as (...a: unknown[]) => unknown).apply(obj, args);
        if (result && typeof result === 'object' && !(result instanceof Promise) && !(Symbol.asyncIterator in result)) {
          return recording(result, `${label}.${String(prop)}`, writes);
        }
        return result;
      };
    },
  });
}

function recordingAccount(inner: StorageAccount, writes: string[]): StorageAccount {
  return {
    describe: inner.describe,
    table: (name) => recording(inner.table(name), `table:${name}`, writes),
    blobService: () => recording(inner.blobService(), 'blob', writes),
    queueService: () => recording(inner.queueService(), 'queue', writes),
  };
}

const writes: string[] = [];
const caller: Principal = { tenantId: 'dry-tenant', keyId: 'key-1', scopes: ['admin'] };
let webhookId: string;
let eventId: string;

beforeAll(async () => {
  process.env.DataStorage = 'UseDevelopmentStorage=true';
  process.env.BUS_MODE = 'storage-queues';
  process.env.HUB_ENVIRONMENT = 'development';
  process.env.CREDENTIAL_ENCRYPTION_KEY = generateFernetKey();
  delete process.env.CREDENTIAL_KEY_SECRET_NAME;
  delete process.env.KEY_VAULT_URI;
  resetSettingsCache();
  resetCredentialCipher();
  setServices(buildServices(settings(), recordingAccount(memoryStorageAccount(), writes)));
  const bus = new MemoryBus();
  const send = bus.send.bind(bus);
  bus.send = (queue, body, options) => {
    writes.push(`bus.send:${queue}`);
    return send(queue, body, options);
  };
  setProcessBus(bus);

  const hook = await createWebhook(
    webhookDeps(),
    caller,
    { name: 'generic sender', filters: [{ name: 'resolved alerts', actions: ['resolved'] }] },
    'corr-1',
  );
  webhookId = hook.id;
  await createSop(
    sopDeps(),
    caller,
    {
      name: 'Alert: quick job, with an approval',
      enabled: true,
      match: { source: 'generic', eventTypes: ['alert.*'], priority: 100 },
      steps: [
        {
          tool: 'datto-rmm.device.run_quick_job',
          args: { deviceUid: '{{event.entities.deviceId}}', jobName: 'Restart spooler', componentUid: 'c0ffee' },
          requiresApproval: true,
        },
      ],
    },
    'corr-2',
  );
  const stored = await createEvent({
    tenantId: caller.tenantId,
    source: 'generic',
    webhookId,
    integrationId: null,
    trigger: 'vendor',
    replayOf: null,
    correlationId: 'corr-3',
    dedupKey: null,
    bodyText: JSON.stringify({ type: 'alert.resolved', subject: 'Disk ok', entities: { deviceId: 'dev-9' } }),
  });
  eventId = stored.view.id;
  expect(writes.length).toBeGreaterThan(0); // the recorder sees writes when there are some
  writes.length = 0;
});

describe('dry runs', () => {
  it('a webhook test with its sample plans every step and writes nothing', async () => {
    const result = await dryRunWebhook(dryRunDeps(), caller, webhookId, undefined);
    expect(result.payloadFrom).toBe('sample');
    expect(result.sopMatching?.matched?.name).toBe('Alert: quick job, with an approval');
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({
      tool: 'datto-rmm.device.run_quick_job',
      args: { deviceUid: 'sample-device-0001', jobName: 'Restart spooler', componentUid: 'c0ffee' },
      // No Datto RMM integration: the plan says so instead of failing later at the vendor.
      status: 'would_fail',
      errorType: 'integration_missing',
    });
    expect(writes).toEqual([]);
  });

  it('a stored event the filter would drop is planned as its replay (not filtered), and nothing is written', async () => {
    const result = await dryRunEvent(dryRunDeps(), caller, eventId);
    expect(result.eventId).toBe(eventId);
    expect(result.filter).toMatchObject({ applies: false, matched: { name: 'resolved alerts' } });
    expect(result.steps[0]?.args).toMatchObject({ deviceUid: 'dev-9' });
    expect(writes).toEqual([]);
  });

  it('a given payload that the filter drops ends `filtered`, and nothing is written', async () => {
    const result = await dryRunWebhook(dryRunDeps(), caller, webhookId, { type: 'alert.resolved', subject: 'ok' });
    expect(result.verdict.outcome).toBe('filtered');
    expect(writes).toEqual([]);
  });

  it("another tenant's webhook and event are not found", async () => {
    const other: Principal = { tenantId: 'other-tenant', keyId: 'key-2', scopes: ['admin'] };
    await expect(dryRunWebhook(dryRunDeps(), other, webhookId, undefined)).rejects.toMatchObject({ code: 'not_found' });
    await expect(dryRunEvent(dryRunDeps(), other, eventId)).rejects.toMatchObject({ code: 'not_found' });
    expect(writes).toEqual([]);
  });
});
