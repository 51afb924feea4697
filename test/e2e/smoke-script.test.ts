import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, ROOT, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * The deployed smoke test (scripts/smoke.mjs, docs/runbooks/smoke-test.md) run as an operator runs
 * it after `azd up` — a separate process against a base URL — here against a local host: it must
 * pass, clean up after itself and print no secret.
 */
const operatorKey = `op-${randomBytes(24).toString('hex')}`;
const functionsKey = `fk-${randomBytes(16).toString('hex')}`;
let host: HostProcess;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver(answer(200, {}, 'ok'));
  host = await startHostProcess(
    sharedAzuriteEnv({ OPERATOR_API_KEY: operatorKey, LOCAL_FUNCTIONS_KEY: functionsKey, LOCAL_TIME_SCALE: '1' }),
  );
}, 90_000);

afterAll(async () => {
  await host?.stop();
  await receiver?.close();
});

function runSmoke(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'smoke.mjs'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run smoke', () => {
  it('passes against a local host: chunked webhook, integrations status, a dead-lettered stage with its failure record, a Durable delivery; then cleans up', async () => {
    const { code, output } = await runSmoke([
      host.baseUrl,
      '--key',
      operatorKey,
      '--functions-key',
      functionsKey,
      '--receiver',
      `${receiver.url}/smoke`,
      '--timeout',
      '120',
    ]);
    expect(output, output).not.toMatch(/^FAIL/m);
    expect(code, output).toBe(0);
    for (const check of [
      'create a throwaway tenant',
      'chunked, signed POST to the webhook: 202',
      'GET /api/v1/integrations/status: 200',
      'reaches the Failure Analysis: sop_matching / no_sop_matched',
      'a Durable delivery started and completed: delivery',
    ]) {
      expect(output).toContain(check);
    }
    expect(output).toMatch(/PASS clean-up: subscription \S+ deleted/);
    expect(output).toMatch(/PASS clean-up: webhook \S+ deleted/);
    expect(output).toMatch(/PASS clean-up: tenant \S+ disabled/);
    // The receiver got the signed delivery.
    expect(receiver.received.some((r) => r.headers['webhook-signature'] !== undefined)).toBe(true);
    // No secret in what the operator sees.
    for (const secret of [operatorKey, functionsKey, 'whsec_']) expect(output).not.toContain(secret);

    // The throwaway tenant is disabled: its admin key no longer works (nothing else is left behind).
    const tenantId = /: tenant (\S+)/.exec(output)?.[1];
    const tenant = await call(host.baseUrl, 'GET', `/api/v1/tenants/${tenantId}`, {
      key: operatorKey,
      headers: { 'x-functions-key': functionsKey },
    });
    expect(tenant.json).toMatchObject({ status: 'disabled' });
  });

  it('without --receiver runs every other check and exits 2 (delivery skipped); wrong arguments exit 1', async () => {
    const skipped = await runSmoke([host.baseUrl, '--key', operatorKey, '--functions-key', functionsKey]);
    expect(skipped.output).toContain('SKIP a Durable delivery');
    expect(skipped.output).not.toMatch(/^FAIL/m);
    expect(skipped.code, skipped.output).toBe(2);

    const noKey = await runSmoke([host.baseUrl]);
    expect(noKey.code).toBe(1);
    expect(noKey.output).toContain('the operator key is required');

    const badKey = await runSmoke([host.baseUrl, '--key', 'not-the-operator-key', '--functions-key', functionsKey]);
    expect(badKey.code).toBe(1);
    expect(badKey.output).toMatch(/^FAIL create a throwaway tenant/m);
    expect(badKey.output).not.toContain('not-the-operator-key');
  });
});
