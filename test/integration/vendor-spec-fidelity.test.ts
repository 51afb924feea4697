import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector as rmm } from '../../shared/vendors/datto-rmm';
import { runQuickJob } from '../../shared/vendors/datto-rmm/actions';
import type { FakeRequest } from '../fakes/core/fake-server';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
import { checkAgainstSpec, loadSlice } from '../fakes/core/spec-check';
import { DattoRmmFake, FAKE_DATTO_RMM_CREDENTIALS } from '../fakes/datto-rmm';

/**
 * The fakes are held to the vendors' published descriptions (test/fixtures/vendor-specs,
 * docs/vendor-fidelity.md): a request that breaks one is refused the way the vendor refuses it,
 * and what the connectors send passes. Halo, Autotask and Pax8 have theirs in webhook-push and
 * vendor-pax8 tests; Datto RMM and the checker itself are here.
 */
const rmmFake = new DattoRmmFake();
beforeAll(async () => {
  await rmmFake.start();
});
afterAll(async () => {
  await rmmFake.stop();
});

const request = (method: string, path: string, json?: unknown): FakeRequest => ({
  method,
  path,
  query: {},
  headers: json === undefined ? {} : ({ 'content-type': 'application/json' } as Record<string, string>),
  body: json === undefined ? '' : JSON.stringify(json),
  json,
  params: {},
});

describe('spec-held fakes', () => {
  it('Datto RMM: a quick job without jobComponent breaks CreateQuickJobRequest: 400 with the API message', async () => {
    const session = fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, { baseUrl: rmmFake.baseUrl });
    await rmm.probe(session); // what the connector sends passes
    const ok = await runQuickJob(session, {
      deviceUid: 'dev-1',
      jobName: 'Restart',
      componentUid: 'c-1',
      variables: [],
    });
    expect(ok.jobUid).toBe('job-dev-1');
    expect(rmmFake.refusals).toEqual([]);

    const bearer = rmmFake.received('GET', '/api/v2/system/request_rate')[0]!.headers.authorization!;
    const refused = await fetch(`${rmmFake.baseUrl}/api/v2/device/dev-1/quickjob`, {
      method: 'PUT',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ jobName: 'Restart' }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/body\.jobComponent is required/);
  });

  it('Datto RMM: the error reader prefers the API message over its terse error', async () => {
    const session = fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, { baseUrl: rmmFake.baseUrl });
    rmmFake.injectFault(
      { kind: 'status', status: 400, body: { error: 'Bad Request', message: 'Device dev-9 is offline' } },
      { path: '/api/v2/device/dev-9/quickjob', times: 1 },
    );
    const error = await vendorErrorOf(
      runQuickJob(session, { deviceUid: 'dev-9', jobName: 'Restart', componentUid: 'c-1', variables: [] }),
    );
    expect(error.vendorMessage).toBe('Device dev-9 is offline');
  });

  it('the checker: unknown paths, wrong methods, types, required and forbidden fields', () => {
    const halo = { slice: loadSlice('halopsa'), prefix: '/api', caseInsensitive: true };
    expect(checkAgainstSpec(halo, request('GET', '/auth/token'))).toEqual({ kind: 'outside' });
    expect(checkAgainstSpec(halo, request('GET', '/api/NoSuchThing'))).toEqual({ kind: 'unknown-path' });
    expect(checkAgainstSpec(halo, request('PUT', '/api/Webhook', []))).toMatchObject({ kind: 'wrong-method' });
    const bad = checkAgainstSpec(halo, request('POST', '/api/webhook', [{ url: 'x', active: 'yes', enabled: true }]));
    expect(bad).toMatchObject({
      kind: 'checked',
      violations: expect.arrayContaining([
        { at: 'body[0].active', message: 'must be a boolean, got string' },
        { at: 'body[0].enabled', message: expect.stringMatching(/additionalProperties: false/) },
      ]),
    });
    expect(checkAgainstSpec(halo, request('DELETE', '/api/Webhook/41'))).toMatchObject({
      kind: 'checked',
      violations: [{ at: 'path.id', message: 'must be a uuid' }],
    });
  });
});
