import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureOutput, ROOT } from '../support/host-process';

/**
 * `npm run tour` against a fresh `npm start`, as a new user runs it: the example settings, the fake
 * vendors and the receiver, every port free (so parallel runs never collide) and handed to the tour
 * script, which rewrites the README's 7071/7201/7209 to them. The script reads its steps from the
 * README (test/unit/tour-steps.test.ts), so this run is the README's promise checked end to end.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function untilBanner(output: () => string, exited: Promise<unknown>): Promise<string> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (;;) {
    const text = output();
    if (/API reference: http/.test(text) && /receiver\s+http/.test(text)) return text;
    if (gone) throw new Error(`npm start exited:\n${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runTour(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'tour.mjs'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output: output() })));
}

describe('npm run tour', () => {
  it('runs every README step against a fresh npm start and shows what each promises', async () => {
    const location = mkdtempSync(join(tmpdir(), 'hub-tour-'));
    dirs.push(location);
    const host = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOCAL_HTTP_PORT: '0',
        LOCAL_AZURITE_BLOB_PORT: '0',
        LOCAL_AZURITE_QUEUE_PORT: '0',
        LOCAL_AZURITE_TABLE_PORT: '0',
        LOCAL_FAKE_VENDORS_PORT: '0',
        LOCAL_AZURITE_LOCATION: location,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const hostOutput = captureOutput(host);
    const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
    try {
      const banner = await untilBanner(hostOutput, exited);
      const base = /API reference: (http:\/\/[^/\s]+)\/api/.exec(banner)![1]!;
      const autotask = /autotask\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]!;
      const halo = /halopsa\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]!;
      const receiver = /receiver\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]!;
      const { code, output } = await runTour([
        '--base',
        base,
        '--port',
        `7201=${autotask}`,
        '--port',
        `7202=${halo}`,
        '--port',
        `7209=${receiver}`,
      ]);
      expect(code, output).toBe(0);
      const steps = Number(/Tour finished: (\d+) steps/.exec(output)?.[1]);
      expect(steps, output).toBeGreaterThan(20);
      // Each promise the README makes, as the tour printed it.
      expect(output).toContain('"code":"api_key_missing"');
      expect(output).toContain('must read \\"Bearer <key>\\"');
      expect(output).toContain('"nearestRoutes":[{"method":"GET","path":"/api/v1/api-keys"}');
      expect(output).toMatch(/needs_attention[\s\S]*Autotask PSA answered 401/);
      expect(output).toContain('[true,"disconnected"]');
      expect(output).toContain('["connected","disconnected","needs_attention","connected"]');
      expect(output).toMatch(/\["succeeded",\["validation:succeeded".*"tool_call:succeeded"/);
      expect(output).toContain('"Description":"Hub saw: Disk full on SRV01"');
      expect(output).toContain('"code":"signature_invalid"');
      expect(output).toContain('whsec_ included');
      expect(output).toMatch(/awaiting_approval[\s\S]*"status":"approved"[\s\S]*\nsucceeded\n/);
      // Routing before any config: not configured, and nothing recorded for the tickets before it.
      expect(output).toMatch(/Not configured yet[\s\S]*?\n\[false,0\]\n/);
      expect(output).toMatch(/Tickets routing cannot decide[\s\S]*?\n\[\]\n/);
      // Resolve a conflict: one shared company, one conflict, the chosen value in both, one event.
      expect(output).toMatch(/Match the companies[\s\S]*?\n\[4,1\]\n/);
      expect(output).toContain('[[],1]');
      expect(output).toContain('["+44 20 7946 0000",["halopsa +44 20 7946 1111","autotask +44 20 7946 2222"]]');
      expect(output).toContain('["halopsa +44 20 7946 3333","autotask +44 20 7946 3333"]');
      expect(output).toMatch(/heard company\.updated once[\s\S]*?\n\[\["phone"\]\]\n/);
    } finally {
      process.kill(-host.pid!, 'SIGINT');
    }
    await exited;
  }, 240_000);
});
