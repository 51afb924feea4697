import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';

/**
 * Starts the local host as a real child process (`node dist/local/main.js`, what `npm start`
 * runs) and waits for its banner. Tests then talk to it over HTTP like any client.
 */
export interface HostProcess {
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  /** Graceful stop (SIGTERM), as Ctrl-C would. */
  stop(): Promise<number | null>;
  /** Abrupt death (SIGKILL), as a recycled or crashed instance. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

const ABOVE_SUPPORT = resolve(__dirname, '..', '..');
/** The repository, from the sources (vitest) or from their build in dist/ (a bench). */
export const ROOT = basename(ABOVE_SUPPORT) === 'dist' ? dirname(ABOVE_SUPPORT) : ABOVE_SUPPORT;

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/**
 * The functions key of every host these helpers start (unless a test sets its own
 * LOCAL_FUNCTIONS_KEY): host endpoints (/admin/*, the durable webhooks) need it, as under
 * `npm start`. test/support/http.ts `call` sends it on those paths.
 */
export const TEST_FUNCTIONS_KEY = `test-functions-key-${randomBytes(16).toString('hex')}`;

/** Settings for a host that shares the suite's Azurite (fast); override per test. */
export function sharedAzuriteEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const connection = process.env.TEST_STORAGE_CONNECTION;
  if (!connection)
    throw new Error(
      'TEST_STORAGE_CONNECTION is not set: Azurite comes with the integration and e2e tiers (docs/testing.md), not with unit',
    );
  return {
    HUB_ENVIRONMENT: 'development',
    BUS_MODE: 'storage-queues',
    LOCAL_AZURITE: 'external',
    DataStorage: connection,
    AzureWebJobsStorage: connection,
    LOCAL_HTTP_PORT: '0',
    LOCAL_ENABLE_TEST_HOOKS: 'true',
    DURABLE_TASK_HUB: uniqueName('Hub'),
    BOOTSTRAP_TENANT_ID: uniqueName('tenant-'),
    BOOTSTRAP_API_KEY: `bootstrap-${randomBytes(24).toString('hex')}`,
    LOG_LEVEL: 'warn',
    // Hosts started by tests never start the README tour's fake vendors (fixed ports would clash).
    LOCAL_FAKE_VENDORS: 'false',
    // Each host its own queues in the shared Azurite: no host consumes another's messages.
    LOCAL_QUEUE_PREFIX: `${uniqueName('q')}-`,
    // The app's timers (probe fan-out, outbound sweeps, retention) walk every tenant in the shared
    // Azurite: a test host fires them on demand (POST /admin/functions/{name}) so one file's host
    // never probes or sweeps another file's data. Tests of the timer mechanism itself override this.
    LOCAL_TIMERS: 'manual',
    LOCAL_FUNCTIONS_KEY: TEST_FUNCTIONS_KEY,
    ...overrides,
  };
}

/**
 * Like sharedAzuriteEnv, but the host runs its own disk-backed Azurite in `location` (random ports)
 * instead of the shared one: for hosts a test kills and restarts on the same data, or whose timers
 * look across tenants.
 */
export function diskAzuriteEnv(location: string, overrides: Record<string, string> = {}): Record<string, string> {
  const env = sharedAzuriteEnv({
    LOCAL_AZURITE: 'disk',
    LOCAL_AZURITE_LOCATION: location,
    LOCAL_AZURITE_BLOB_PORT: '0',
    LOCAL_AZURITE_QUEUE_PORT: '0',
    LOCAL_AZURITE_TABLE_PORT: '0',
    ...overrides,
  });
  delete env.DataStorage;
  delete env.AzureWebJobsStorage;
  return env;
}

/** Collects a child's stdout and stderr as they arrive. */
export function captureOutput(child: ChildProcess): () => string {
  let output = '';
  const append = (c: Buffer) => {
    output += c.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output;
}

/**
 * Resolves with the first match of `pattern` in a child's output, as soon as the line arrives;
 * rejects with the output so far if the child exits first. A signal, not a time budget: the
 * test's own timeout is the only bound.
 */
export function outputMatch(child: ChildProcess, output: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolveMatch, reject) => {
    const check = (): boolean => {
      const m = pattern.exec(output());
      if (m) {
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        resolveMatch(m);
      }
      return m !== null;
    };
    const onData = () => void check();
    const onExit = (code: number | null) => {
      if (!check()) reject(new Error(`exited with ${code} before printing ${pattern}:\n${output()}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    check();
  });
}

export async function startHostProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<HostProcess> {
  const child = spawn(process.execPath, [resolve(ROOT, 'dist/local/main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const baseUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start in ${timeoutMs} ms:\n${output()}`)), timeoutMs);
    const check = () => {
      const m = /API reference: (http:\/\/[^/\s]+)\/api\/v1\/docs/.exec(output());
      if (m && output().includes('Ready in')) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before it was ready:\n${output()}`));
    });
  });
  return {
    baseUrl,
    child,
    output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
