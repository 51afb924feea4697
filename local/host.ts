import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setProcessBus } from '../shared/bus/process-bus';
import { StorageQueueBus } from '../shared/bus/storage-queue-bus';
import { installClock, OffsetClock } from '../shared/clock';
import { parseSettings, resetSettingsCache, type Settings } from '../shared/config/settings';
import { armFromEnvironment } from '../shared/faults/crash-points';
import { reserveLocalPorts } from '../shared/net/reserved-ports';
import { createLogger } from '../shared/observability/logger';
import { storageAccountFromConnectionString } from '../shared/storage/connection';
import { adminEndpoints } from './admin-endpoints';
import { type RunningAzurite, startAzurite } from './azurite';
import { createDurableEngine, type DurableEngine } from './durable';
import { installFunctionsCore } from './functions-core-shim';
import { readHostJson } from './host-json';
import { CAPABILITY_PATH, FRONT_END_RESPONSE_LIMIT_MS, type RunningHttpServer, startHttpServer } from './http-server';
import { InvocationTracker } from './invocation';
import { storagePorts } from './local-settings';
import { startQueueTriggers } from './queue-runner';
import { FunctionRegistry } from './registry';
import { tableScheduleMonitor } from './schedule-monitor';
import { startTimers, type TimerRunner } from './timers';

/**
 * The local host: the same function registrations Azure runs, served without Core Tools. It
 * starts Azurite, loads the compiled functions with @azure/functions-core resolved to our shim,
 * then serves HTTP triggers, fires timers, runs queue triggers on the emulated bus and runs
 * Durable orchestrations — all discovered from the registry, never listed twice.
 */
export interface LocalHost {
  settings: Settings;
  registry: FunctionRegistry;
  http: RunningHttpServer;
  timers: TimerRunner;
  durable: DurableEngine;
  clock: OffsetClock;
  stop(): Promise<void>;
}

const log = createLogger({ component: 'local-host' });
const hostLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
  log[level](message, fields);

export function expandMainGlob(root: string, pattern: string): string[] {
  const dir = resolve(root, dirname(pattern));
  const file = basename(pattern);
  const regex = new RegExp(`^${file.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`No compiled functions at ${dir}: run "npm run build" first.`);
  }
  return names
    .filter((n) => regex.test(n))
    .sort()
    .map((n) => join(dir, n));
}

export async function startLocalHost(root: string): Promise<LocalHost> {
  // Refuse bad settings before starting anything. Azurite's address is not known yet, so a
  // placeholder stands in for DataStorage when the host is about to start its own.
  const mode = process.env.LOCAL_AZURITE ?? 'disk';
  parseSettings(mode === 'external' ? process.env : { ...process.env, DataStorage: 'UseDevelopmentStorage=true' });
  // Then Azurite: its address becomes the DataStorage / AzureWebJobsStorage settings.
  let azurite: RunningAzurite | undefined;
  if (mode !== 'external') {
    const ports = {
      blob: Number(process.env.LOCAL_AZURITE_BLOB_PORT ?? 10000),
      queue: Number(process.env.LOCAL_AZURITE_QUEUE_PORT ?? 10001),
      table: Number(process.env.LOCAL_AZURITE_TABLE_PORT ?? 10002),
    };
    azurite = await startAzurite({
      ports,
      ...(mode === 'disk' ? { location: resolve(root, process.env.LOCAL_AZURITE_LOCATION ?? '.azurite') } : {}),
    });
    process.env.DataStorage = azurite.connectionString;
    process.env.AzureWebJobsStorage = azurite.connectionString;
  }
  resetSettingsCache();
  const settings = parseSettings(process.env);
  const clock = new OffsetClock();
  installClock(clock);
  armFromEnvironment(settings.LOCAL_CRASH_POINTS);
  // Vendor and subscription URLs never reach this host's own port or its storage, even where
  // development allows loopback (docs/decisions.md §42); the HTTP port is added once it is bound.
  reserveLocalPorts([...storagePorts(settings.DataStorage ?? ''), settings.LOCAL_HTTP_PORT]);

  const registry = new FunctionRegistry();
  installFunctionsCore(registry, (level, category, message) => {
    if (level === 'error' || level === 'warning') hostLog(level === 'error' ? 'error' : 'warn', message, { category });
  });
  const pattern =
    settings.LOCAL_FUNCTIONS_GLOB ??
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string }).main;
  for (const file of expandMainGlob(root, pattern)) require(file);
  await registry.runHooks('appStart', { hookData: {}, appHookData: {} });

  const account = storageAccountFromConnectionString(settings.DataStorage ?? '');
  // host.json drives what the Functions host would take from it (local/host-json.ts).
  const hostJson = readHostJson(root);
  const timeScale = settings.LOCAL_TIME_SCALE;
  const host = settings.LOCAL_HTTP_HOST;
  const displayHost = host === '0.0.0.0' ? 'localhost' : host;
  const rpcPath = '/runtime/webhooks/durabletask/';
  const bus = new StorageQueueBus(account, {
    maxDeliveryCount: settings.QUEUE_MAX_DELIVERY_COUNT,
    lockDurationSeconds: settings.QUEUE_LOCK_DURATION_SECONDS,
    timeScale,
    // With test hooks on, a scheduled message is re-checked against the host clock every second,
    // so a test that moves the clock (POST /admin/host/clock) releases it without waiting.
    ...(settings.LOCAL_ENABLE_TEST_HOOKS ? { maxHideSeconds: 1 } : {}),
    ...(settings.LOCAL_QUEUE_PREFIX ? { queuePrefix: settings.LOCAL_QUEUE_PREFIX } : {}),
    log: hostLog,
  });
  // Function code sends through the same bus instance the queue runner consumes from.
  setProcessBus(bus);
  // Any trigger may declare the durable client input binding, as in Azure (HTTP functions,
  // activities, queue triggers, timers); the engine exists once the HTTP server has its port.
  let durable: DurableEngine | undefined;
  const extraInputValue = (type: string) => (type === 'durableClient' ? durable?.clientBindingData() : undefined);
  // Azure's time limits (docs/runbooks/local-host.md, "Differences from Azure's host").
  const limitScale = settings.LOCAL_TIME_LIMIT_SCALE;
  const functionTimeoutMs = hostJson.functionTimeoutMs;
  const invocations = new InvocationTracker({
    functionTimeoutMs: functionTimeoutMs === undefined ? undefined : functionTimeoutMs / limitScale,
    log: hostLog,
  });
  const timers = startTimers(registry.byTrigger('timerTrigger'), {
    timeScale,
    log: hostLog,
    automatic: settings.LOCAL_TIMERS === 'schedule',
    // The host id that keeps schedule statuses apart: hosts sharing an Azurite differ in hub or prefix.
    monitor: tableScheduleMonitor(account, `${settings.LOCAL_QUEUE_PREFIX ?? ''}${settings.DURABLE_TASK_HUB}`),
    extraInputValue,
    invocations,
  });

  // With a functions key, the durable webhooks need it like every host endpoint. The app's own
  // DurableClient cannot send it (it drops query strings and sets no headers), so its base URL
  // carries a per-process capability token instead, valid for the durable webhooks only.
  const capabilityToken = settings.LOCAL_FUNCTIONS_KEY ? randomBytes(32).toString('base64url') : undefined;
  // The HTTP server starts first so a port of 0 resolves before the durable client URLs are built.
  const http = await startHttpServer({
    port: settings.LOCAL_HTTP_PORT,
    host,
    functions: [...registry.functions.values()],
    extraInputValue,
    httpStream: registry.httpStream,
    responseLimitMs: FRONT_END_RESPONSE_LIMIT_MS / limitScale,
    invocations,
    hostEndpoints: [
      {
        prefix: rpcPath,
        handle: async (req, res, body) => (durable ? durable.handleRpc(req, res, body) : false),
        acceptsCapabilityToken: true,
      },
      {
        prefix: '/admin/',
        handle: adminEndpoints({ registry, timers, clock, testHooks: settings.LOCAL_ENABLE_TEST_HOOKS, log: hostLog }),
      },
    ],
    ...(settings.LOCAL_FUNCTIONS_KEY ? { functionsKey: settings.LOCAL_FUNCTIONS_KEY } : {}),
    ...(capabilityToken ? { capabilityToken } : {}),
    log: hostLog,
  });
  reserveLocalPorts([http.port]);
  const capabilityPrefix = capabilityToken ? `${CAPABILITY_PATH}${capabilityToken}` : '';
  durable = createDurableEngine({
    registry,
    account,
    hubName: settings.DURABLE_TASK_HUB,
    timeScale,
    rpcBaseUrl: `http://${displayHost}:${http.port}${capabilityPrefix}${rpcPath}`,
    basePath: rpcPath,
    maxConcurrentActivities: hostJson.durableTask.maxConcurrentActivityFunctions,
    log: hostLog,
  });
  await durable.start();
  const engine = durable;
  // Queue triggers start once the durable client binding can be filled in.
  const queues = await startQueueTriggers({
    registry,
    bus,
    log: hostLog,
    extraInputValue,
    concurrency: hostJson.serviceBus.maxConcurrentCalls,
    maxAutoLockRenewalMs: hostJson.serviceBus.maxAutoLockRenewalMs,
    invocations,
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      timers.stop();
      await http.close();
      await queues.stop();
      await engine.stop();
      await registry.runHooks('appTerminate', { hookData: {}, appHookData: {} });
      await azurite?.stop();
    })();
    return stopping;
  };
  return { settings, registry, http, timers, durable: engine, clock, stop };
}
