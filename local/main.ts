import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { SettingsError } from '../shared/config/settings';
import { createLogger } from '../shared/observability/logger';
import { PortInUseError } from './azurite';
import { startFakeVendors } from './fake-vendors';
import { startLocalHost } from './host';
import { loadLocalSettings } from './local-settings';
import { installProcessSafetyNet } from './process-safety';
import type { RegisteredFunction } from './registry';

/**
 * `npm start`: run the hub locally. Reads local.settings.json (or the committed example), starts
 * Azurite and the local host, prints what is served, and shuts down cleanly on Ctrl-C.
 */
function describe(fn: RegisteredFunction, baseUrl: string): string {
  const t = fn.trigger;
  switch (t.type) {
    case 'httpTrigger': {
      const methods = Array.isArray(t.methods) ? (t.methods as string[]).join(',') : 'ANY';
      return `[${methods}] ${baseUrl}/api/${String(t.route ?? fn.name)}`;
    }
    case 'timerTrigger':
      return `timer "${String(t.schedule)}"`;
    case 'serviceBusTrigger':
      return `queue ${String(t.queueName)}`;
    case 'orchestrationTrigger':
      return 'durable orchestration';
    case 'activityTrigger':
      return 'durable activity';
    default:
      return t.type;
  }
}

/**
 * The host endpoints (/admin/*, the durable webhooks) act for every tenant, so `npm start` never
 * serves them without a key: LOCAL_FUNCTIONS_KEY when set, otherwise a fresh one per start, printed
 * in the banner (docs/runbooks/local-host.md). Azure asks for its host keys the same way.
 */
function ensureFunctionsKey(env: NodeJS.ProcessEnv): { key: string; generated: boolean } {
  const configured = env.LOCAL_FUNCTIONS_KEY;
  if (configured) return { key: configured, generated: false };
  const key = randomBytes(24).toString('base64url');
  env.LOCAL_FUNCTIONS_KEY = key;
  return { key, generated: true };
}

async function main(): Promise<void> {
  // Before anything can fail asynchronously: a request's stray error fails that request only.
  const log = createLogger({ component: 'local-host' });
  installProcessSafetyNet({
    log: (level, message, fields) => log[level](message, fields),
    exit: (code) => process.exit(code),
  });
  const root = resolve(__dirname, '..', '..');
  const settingsFile = loadLocalSettings(root);
  const functionsKey = ensureFunctionsKey(process.env);
  const started = Date.now();
  const host = await startLocalHost(root);
  const fakes = host.settings.LOCAL_FAKE_VENDORS
    ? await startFakeVendors({ basePort: host.settings.LOCAL_FAKE_VENDORS_PORT })
    : undefined;
  const base = host.http.baseUrl.replace('127.0.0.1', 'localhost');
  const lines = [...host.registry.functions.values()]
    .sort((a, b) => a.trigger.type.localeCompare(b.trigger.type) || a.name.localeCompare(b.name))
    .map((fn) => `  ${fn.name.padEnd(28)} ${describe(fn, base)}`);
  process.stdout.write(
    [
      '',
      'MSP Integration Hub — local host',
      `  settings: ${settingsFile}`,
      `  storage:  ${host.settings.LOCAL_AZURITE === 'external' ? 'external' : `Azurite (${host.settings.LOCAL_AZURITE})`} tables at ${/TableEndpoint=([^;]+)/.exec(host.settings.DataStorage ?? '')?.[1] ?? 'default endpoint'}`,
      `  time scale: ${host.settings.LOCAL_TIME_SCALE}x`,
      `  functions key: ${functionsKey.key}${functionsKey.generated ? ' (generated for this run; set LOCAL_FUNCTIONS_KEY to choose one)' : ' (LOCAL_FUNCTIONS_KEY)'}`,
      '    send it as x-functions-key (or ?code=) to /admin/*, /runtime/webhooks/durabletask/* and authLevel function routes',
      '',
      'Functions:',
      ...lines,
      '',
      ...(fakes
        ? ['Fake vendors (LOCAL_FAKE_VENDORS; credentials in test/fakes/<vendor>.ts):', ...fakes.lines, '']
        : []),
      `API reference: ${base}/api/v1/docs`,
      `Ready in ${Date.now() - started} ms. Press Ctrl-C to stop.`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    Promise.all([host.stop(), fakes?.stop()]).then(
      () => {
        process.stdout.write('stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof SettingsError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  if (error instanceof PortInUseError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(75);
  }
  process.stderr.write(
    `The local host failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
