import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESOLVE_CRASH_AFTER_PUBLISH } from '../../shared/entities/conflicts';
import { AutotaskFake } from '../fakes/autotask';
import { withAutotaskCompanyWrites, withHaloClientWrites } from '../fakes/entity-companies';
import { createHaloFake } from '../fakes/halopsa';
import { connectHaloAndAutotask } from '../support/entity-api';
import { diskAzuriteEnv, type HostProcess, startHostProcess } from '../support/host-process';
import { call } from '../support/http';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * "Once per change" under a crash (docs/entity-sync.md, "Events"): the host dies after resolving a
 * conflict published `company.updated` and before the company row and the conflict were written.
 * The caller sends the resolve again to the restarted host: the value is written again (the same
 * value), the conflict settles, and there is still exactly one `company.updated` delivery.
 */
const halo = withHaloClientWrites(createHaloFake());
const autotask = withAutotaskCompanyWrites(new AutotaskFake());
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const h of hosts) await h.stop();
  for (const r of receivers) await r.close();
  await halo.stop();
  await autotask.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

describe('entity sync: a crash after the publication of a resolve', () => {
  it('the resolve sent again settles the conflict and publishes nothing new', async () => {
    halo.listings.seed('clients', 1);
    halo.listings.touch('clients', 1, { phonenumber: '100' }, new Date(Date.UTC(2026, 0, 2)));
    autotask.entities.Companies = [{ id: 701, companyName: 'Client 1', phone: '100', isActive: true }];
    await halo.start();
    await autotask.start();
    const location = mkdtempSync(join(tmpdir(), 'hub-entity-sync-'));
    dirs.push(location);
    const env = diskAzuriteEnv(location, { LOCAL_TIMERS: 'manual', API_RATE_LIMIT_PER_MINUTE: '100000' });
    const key = env.BOOTSTRAP_API_KEY!;
    let host = await startHostProcess(env);
    hosts.push(host);
    const api = (method: string, path: string, body?: unknown) =>
      call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

    const receiver = await startReceiver();
    receivers.push(receiver);
    const subscription = await api('POST', '/api/v1/subscriptions', {
      url: receiver.url,
      eventTypes: ['company.updated'],
    });
    expect(subscription.status, subscription.text).toBe(201);
    await connectHaloAndAutotask(api, { halo, autotask });
    expect((await api('POST', '/api/v1/entities/companies/match')).json).toMatchObject({ created: 1, linked: 1 });
    const [company] = (await api('GET', '/api/v1/entities/companies')).json.items as Array<{ id: string }>;
    const companyId = company!.id;
    halo.listings.touch('clients', 1, { phonenumber: '200' }, new Date(Date.UTC(2026, 0, 3)));
    autotask.entities.Companies[0]!.phone = '300';
    const resync = await api('POST', '/api/v1/sync/resync', { entity: 'company', id: companyId });
    const [conflictId] = resync.json.conflicts as string[];
    expect(conflictId).toBeDefined();

    const armed = await call(host.baseUrl, 'POST', '/admin/host/crash-points', {
      body: { name: RESOLVE_CRASH_AFTER_PUBLISH },
    });
    expect(armed.status).toBe(200);
    const died = await api('POST', `/api/v1/sync/conflicts/${conflictId}/resolve`, { value: '400' }).catch(
      (e: unknown) => e,
    );
    expect(died).toBeInstanceOf(Error);
    await host.exited;
    host = await startHostProcess(env);
    hosts.push(host);

    // The conflict is still open: nothing after the publication was written.
    const open = await api('GET', '/api/v1/sync/conflicts?status=open');
    expect((open.json.items as Array<{ id: string }>).map((c) => c.id)).toEqual([conflictId]);
    const deliveries = async () =>
      (
        (await api('GET', `/api/v1/deliveries?subscriptionId=${String(subscription.json.id)}`)).json.items as Array<{
          eventType: string;
        }>
      ).filter((d) => d.eventType === 'company.updated').length;
    expect(await deliveries()).toBe(1);

    const resolved = await api('POST', `/api/v1/sync/conflicts/${conflictId}/resolve`, { value: '400' });
    expect(resolved.status, resolved.text).toBe(200);
    expect(halo.listings.record('clients', 1).phonenumber).toBe('400');
    expect(autotask.entities.Companies[0]!.phone).toBe('400');
    expect(await deliveries()).toBe(1);
    expect((await api('GET', '/api/v1/sync/conflicts?status=open')).json.items).toHaveLength(0);
  }, 150_000);
});
