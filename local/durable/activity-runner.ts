import { nowMs } from '../../shared/clock';
import { createInvocationContext, type HostLog } from '../invocation';
import type { FunctionRegistry } from '../registry';
import type { ActivityOutcome } from './decisions';
import { iso } from './history';
import type { InstanceStore, WorkRow } from './instance-store';
import { permanentStorageFailure } from './storage-failures';

/**
 * Runs activity work rows. A row is leased first (an ETag-conditional write of owner + expiry,
 * renewed while the function runs), and its outcome is written If-Match that lease — so when two
 * engines, or a restarted one and a stale one, both run an activity, exactly one result lands.
 * Activities themselves are at-least-once, as in Durable Functions: a crash after the function
 * ran but before its outcome was stored runs it again once the lease expires.
 */
export interface ActivityRunnerOptions {
  store: InstanceStore;
  registry: FunctionRegistry;
  owner: string;
  leaseMs: number;
  maxConcurrent: number;
  log: HostLog;
  crashPoint: (name: string) => void;
  /** Schedules a re-check of a row leased by someone else, when that lease runs out. */
  recheckAt: (instanceId: string, atMs: number) => void;
  /** The outcome was stored: the instance has something to apply. */
  completed: (instanceId: string) => void;
  clientBindingData: () => unknown;
}

type Job = { instanceId: string; rowKey: string };

/** Logged when a renewal met a moved ETag but the row turned out to be still leased to us. */
export const LEASE_KEPT = 'durable activity lease renewal conflicted; the row is still ours';

export class ActivityRunner {
  private readonly queue: Job[] = [];
  private readonly active = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: ActivityRunnerOptions) {}

  /** Queues a pending row unless it is already queued or running here. */
  offer(instanceId: string, row: WorkRow): void {
    if (this.stopped) return;
    const key = `${instanceId}\u0000${row.rowKey}`;
    if (this.active.has(key)) return;
    if (row.leaseOwner && row.leaseOwner !== this.o.owner && (row.leaseUntilMs ?? 0) > nowMs()) {
      this.o.recheckAt(instanceId, row.leaseUntilMs ?? nowMs());
      return;
    }
    this.active.add(key);
    this.queue.push({ instanceId, rowKey: row.rowKey });
    this.pump();
  }

  get busy(): boolean {
    return this.queue.length > 0 || this.running.size > 0;
  }

  start(): void {
    this.stopped = false;
  }

  /** Stops taking work and waits for running activities; queued ones stay pending for whoever comes next. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0)) this.active.delete(`${job.instanceId}\u0000${job.rowKey}`);
    await Promise.allSettled([...this.running]);
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.o.maxConcurrent && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const task = this.run(job)
        .catch((error: unknown) => {
          this.o.log('error', 'durable activity dispatch failed', { ...job, error: String(error) });
          this.o.recheckAt(job.instanceId, nowMs() + 1000);
        })
        .finally(() => {
          this.running.delete(task);
          this.active.delete(`${job.instanceId}\u0000${job.rowKey}`);
          this.pump();
        });
      this.running.add(task);
    }
  }

  private async run({ instanceId, rowKey }: Job): Promise<void> {
    const { store, owner, leaseMs } = this.o;
    const row = await store.readWork(instanceId, rowKey);
    if (row?.status !== 'pending' || row.kind !== 'activity') return;
    if (row.leaseOwner && row.leaseOwner !== owner && (row.leaseUntilMs ?? 0) > nowMs()) {
      this.o.recheckAt(instanceId, row.leaseUntilMs ?? nowMs());
      return;
    }
    let lease = await store.lease(instanceId, row, owner, nowMs() + leaseMs);
    if (!lease) return;
    this.o.crashPoint('durable.activity.before-run');

    // Renew at a third of the lease so a long activity keeps it even when one renewal fails; each
    // renewal moves the ETag on.
    let renewing: Promise<void> = Promise.resolve();
    const renewOnce = async () => {
      if (!lease) return;
      try {
        const renewed = await store.lease(instanceId, lease, owner, nowMs() + leaseMs);
        if (renewed) {
          lease = renewed;
          return;
        }
        // The ETag moved: perhaps an earlier renewal whose answer was lost did land. If the row is
        // still ours and pending, carry on with it; otherwise the lease is gone.
        const current = await store.readWork(instanceId, rowKey);
        lease = current?.status === 'pending' && current.leaseOwner === owner ? current : undefined;
        this.o.log(lease ? 'info' : 'warn', lease ? LEASE_KEPT : 'durable activity lease lost', {
          instanceId,
          rowKey,
        });
      } catch (error) {
        // A failed renewal is not a lost lease: the next one, a third of a lease later, tries again.
        this.o.log('warn', 'durable activity lease renewal failed; retrying at the next renewal', {
          instanceId,
          rowKey,
          error: String(error),
        });
      }
    };
    const renew = setInterval(
      () => {
        renewing = renewing.then(renewOnce);
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    let outcome: ActivityOutcome;
    try {
      outcome = await this.invoke(instanceId, row);
    } finally {
      clearInterval(renew);
      await renewing.catch(() => undefined);
    }
    this.o.crashPoint('durable.activity.after-run');
    const stored = lease ? await this.store(instanceId, lease, row.name ?? '', outcome) : false;
    if (!stored) {
      this.o.log('warn', 'durable activity result discarded: its lease was lost or the result already applied', {
        instanceId,
        activity: row.name,
        rowKey,
      });
      return;
    }
    this.o.crashPoint('durable.activity.after-complete');
    this.o.completed(instanceId);
  }

  /**
   * Stores the outcome If-Match the lease. A result storage can never hold (too large) becomes the
   * activity's failure, so the orchestrator sees why instead of the activity re-running forever.
   */
  private async store(instanceId: string, lease: WorkRow, name: string, outcome: ActivityOutcome): Promise<boolean> {
    try {
      return await this.o.store.complete(instanceId, lease, iso(nowMs()), outcome);
    } catch (error) {
      const unfixable = permanentStorageFailure(error);
      if (unfixable === undefined) throw error;
      const reason = `Activity function '${name}' failed: its result cannot be stored: ${unfixable}`;
      return this.o.store.complete(instanceId, lease, iso(nowMs()), { ok: false, reason, details: '' });
    }
  }

  private async invoke(instanceId: string, row: WorkRow): Promise<ActivityOutcome> {
    const name = row.name ?? '';
    const fn = this.o.registry.get(name);
    if (fn?.trigger.type !== 'activityTrigger') {
      const reason = `The function '${name}' doesn't exist, is disabled, or is not an activity function.`;
      return { ok: false, reason, details: '' };
    }
    const context = createInvocationContext(fn, this.o.log, {
      logFields: { instanceId },
      extraInputValue: (type) => (type === 'durableClient' ? this.o.clientBindingData() : undefined),
    });
    try {
      const input = row.input === undefined ? undefined : (JSON.parse(row.input) as unknown);
      const result = await fn.callback(input, context);
      return { ok: true, result: JSON.stringify(result ?? null) };
    } catch (error) {
      return failureOutcome(name, error);
    }
  }
}

/**
 * The failure as the extension reports it. When an exception-properties provider is registered,
 * durable-functions' activity wrapper has already turned the message into a FailureDetails JSON
 * payload; that becomes FailureDetails (the orchestrator then sees a TaskFailedError). Otherwise
 * Reason/Details, which the replay engine turns into `new Error(Reason + " \n " + Details)`.
 */
export function failureOutcome(name: string, error: unknown): ActivityOutcome {
  const err = error instanceof Error ? error : new Error(String(error));
  try {
    const payload = JSON.parse(err.message) as unknown;
    if (typeof payload === 'object' && payload !== null && 'errorType' in payload && 'errorMessage' in payload) {
      const p = payload as { errorType: unknown; errorMessage: unknown; stackTrace?: unknown };
      return {
        ok: false,
        reason: String(p.errorMessage),
        details: typeof p.stackTrace === 'string' ? p.stackTrace : '',
        failureDetails: {
          ErrorType: String(p.errorType),
          ErrorMessage: String(p.errorMessage),
          ...(typeof p.stackTrace === 'string' ? { StackTrace: p.stackTrace } : {}),
        },
      };
    }
  } catch {
    // not a serialized payload
  }
  return { ok: false, reason: `Activity function '${name}' failed: ${err.message}`, details: err.stack ?? err.message };
}
