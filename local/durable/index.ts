import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crashPoint as sharedCrashPoint } from '../../shared/faults/crash-points';
import type { StorageAccount } from '../../shared/storage/connection';
import type { FunctionRegistry } from '../registry';
import { ActivityRunner } from './activity-runner';
import { type ClientBindingData, clientBindingData } from './client-binding';
import type { HistoryEvent } from './history';
import { IndexStore } from './index-store';
import { InstanceService, type OrchestrationStatus, type InstanceService as Service } from './instance-service';
import { InstanceStore } from './instance-store';
import { hubTables } from './names';
import { Reconciler } from './reconciler';
import { createRpcHandler } from './rpc-api';
import { WakeScheduler } from './timers';

/**
 * The local Durable Functions engine: runs the app's orchestrations through the real
 * durable-functions replay engine, keeps instances and history in Table Storage (Azurite), and
 * serves the durable client's HTTP API. See docs/local-durable.md for how it maps Durable semantics.
 */
export interface DurableEngineOptions {
  registry: FunctionRegistry;
  account: StorageAccount;
  hubName: string;
  /** LOCAL_TIME_SCALE: a timer due in d ms fires after d / timeScale ms. Default 1. */
  timeScale?: number;
  /** Absolute URL of the RPC API as clients reach it, ending with '/'. */
  rpcBaseUrl: string;
  /** The path handleRpc serves, e.g. '/runtime/webhooks/durabletask/'. */
  basePath: string;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Called at named points (durable.episode.after-commit, ...); defaults to shared/faults crash points. */
  crashPoint?: (name: string) => void;
  /** Concurrent activities per engine (host.json maxConcurrentActivityFunctions). Default 10. */
  maxConcurrentActivities?: number;
  /** How long an activity lease lasts without renewal; bounds how soon a crashed activity re-runs. Default 30 s. */
  activityLeaseMs?: number;
  /** How often to look for in-flight instances another engine abandoned. Default 30 s; 0 = only at start. */
  sweepIntervalMs?: number;
  /** Real-time tick for checking due timers against the injected clock. Default 100 ms. */
  tickMs?: number;
}

export interface DurableEngine {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Serves the durable RPC/webhook API; false when the path is not under basePath. */
  handleRpc(req: IncomingMessage, res: ServerResponse, body?: Buffer): Promise<boolean>;
  /** The value for a `durableClient` input binding. */
  clientBindingData(): ClientBindingData;
  /** In-process client operations (the RPC API is a thin layer over these). */
  readonly client: Pick<
    Service,
    'start' | 'status' | 'list' | 'raiseEvent' | 'terminate' | 'suspend' | 'resume' | 'purge' | 'purgeBy'
  >;
  getStatus(instanceId: string): Promise<OrchestrationStatus | undefined>;
  /** The current execution's raw history, as the replay engine receives it. */
  getHistory(instanceId: string): Promise<HistoryEvent[] | undefined>;
  /** Resolves once nothing is running and no timer is due (pending future timers do not count). */
  waitForIdle(): Promise<void>;
}

export type { ClientBindingData } from './client-binding';
export type { OrchestrationStatus } from './instance-service';

export function createDurableEngine(options: DurableEngineOptions): DurableEngine {
  const log = options.log ?? (() => undefined);
  const crashPoint = options.crashPoint ?? sharedCrashPoint;
  const timeScale = options.timeScale && options.timeScale > 0 ? options.timeScale : 1;
  const tables = hubTables(options.hubName);
  const store = new InstanceStore(options.account.table(tables.history));
  const index = new IndexStore(options.account.table(tables.instances));
  const wakes = new WakeScheduler(options.tickMs ?? 100);
  const binding = clientBindingData(options.rpcBaseUrl, options.hubName);

  let activities: ActivityRunner | undefined;
  const reconciler = new Reconciler({
    store,
    index,
    registry: options.registry,
    activities: () => activities!,
    wakes,
    timeScale,
    log,
    crashPoint,
  });
  activities = new ActivityRunner({
    store,
    registry: options.registry,
    owner: randomUUID(),
    leaseMs: options.activityLeaseMs ?? 30_000,
    maxConcurrent: options.maxConcurrentActivities ?? 10,
    log,
    crashPoint,
    recheckAt: (instanceId, atMs) => wakes.add(`recheck:${instanceId}`, atMs, () => reconciler.kick(instanceId)),
    completed: (instanceId) => reconciler.kick(instanceId),
    clientBindingData: () => binding,
  });
  const service = new InstanceService({
    store,
    index,
    registry: options.registry,
    kick: (id) => reconciler.kick(id),
    crashPoint,
    ready: () => Promise.all([store.ensure(), index.ensure()]).then(() => undefined),
  });
  const rpc = createRpcHandler({ basePath: options.basePath, service, bindingData: () => binding });

  let sweeper: NodeJS.Timeout | undefined;
  let started = false;
  /** Every instance the index says is in flight gets reconciled: this is what resumes after a restart. */
  const sweep = async () => {
    try {
      for (const row of await index.list(['Pending', 'Running', 'Suspended'])) {
        reconciler.kick(row.instanceId, { repairIndex: true });
      }
    } catch (error) {
      log('warn', 'durable sweep failed', { error: String(error) });
    }
  };

  return {
    async start() {
      if (started) return;
      await Promise.all([store.ensure(), index.ensure()]);
      started = true;
      reconciler.start();
      activities?.start();
      wakes.start();
      await sweep();
      const every = options.sweepIntervalMs ?? 30_000;
      if (every > 0) sweeper = setInterval(() => void sweep(), every);
      log('info', 'durable engine started', { hub: options.hubName, tables: tables.history, timeScale });
    },
    async stop() {
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      wakes.stop();
      await reconciler.stop();
      await activities?.stop();
      started = false;
    },
    handleRpc: (req, res, body) => rpc(req, res, body),
    clientBindingData: () => binding,
    client: {
      start: (...args) => service.start(...args),
      status: (...args) => service.status(...args),
      list: (...args) => service.list(...args),
      raiseEvent: (...args) => service.raiseEvent(...args),
      terminate: (...args) => service.terminate(...args),
      suspend: (...args) => service.suspend(...args),
      resume: (...args) => service.resume(...args),
      purge: (...args) => service.purge(...args),
      purgeBy: (...args) => service.purgeBy(...args),
    },
    getStatus: (instanceId) => service.status(instanceId),
    getHistory: (instanceId) => service.history(instanceId),
    async waitForIdle() {
      for (;;) {
        await reconciler.idle();
        await activities?.idle();
        if (!reconciler.busy && !activities?.busy && !wakes.hasDue()) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
