import { nowMs } from '../../shared/clock';
import { ConflictError } from '../../shared/storage/errors';
import type { HostLog } from '../invocation';
import type { FunctionRegistry } from '../registry';
import type { ActivityRunner } from './activity-runner';
import { selectEpisode } from './decisions';
import { EventType, indexHistory } from './history';
import type { IndexStore } from './index-store';
import {
  completionOf,
  type InstanceStore,
  isConcurrencyFailure,
  isTerminal,
  type NewWorkRow,
  type Snapshot,
  workKey,
} from './instance-store';
import { controlEpisode, type EpisodeCommit, runEpisode } from './orchestration-runner';
import { permanentStorageFailure } from './storage-failures';
import type { WakeScheduler } from './timers';

/**
 * Brings one instance's partition up to date: applies whatever is waiting (episodes), makes sure
 * every scheduled task has its work row, queues pending activities and arms pending timers. Every
 * trigger funnels into it — a start, a raised event, a finished activity, a fired timer, the
 * startup/periodic sweep — and it runs one at a time per instance, so the history changes only
 * here. The same path that handles normal progress is the one that resumes after a crash.
 */
export interface ReconcilerOptions {
  store: InstanceStore;
  index: IndexStore;
  registry: FunctionRegistry;
  activities: () => ActivityRunner;
  wakes: WakeScheduler;
  timeScale: number;
  log: HostLog;
  crashPoint: (name: string) => void;
}

/** An index row with no instance behind it this long is a start that died half-way. */
const ORPHAN_AFTER_MS = 60_000;
const MAX_ROUNDS = 200;

export class Reconciler {
  private readonly states = new Map<string, { again: boolean; repair: boolean }>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(private readonly o: ReconcilerOptions) {}

  /** Requests a reconcile; calls while one runs coalesce into one more round. */
  kick(instanceId: string, options: { repairIndex?: boolean } = {}): void {
    if (this.stopped) return;
    const current = this.states.get(instanceId);
    if (current) {
      current.again = true;
      current.repair ||= options.repairIndex === true;
      return;
    }
    const state = { again: true, repair: options.repairIndex === true };
    this.states.set(instanceId, state);
    const task = (async () => {
      while (state.again && !this.stopped) {
        state.again = false;
        const repair = state.repair;
        state.repair = false;
        try {
          await this.reconcile(instanceId, repair);
          this.failures.delete(instanceId);
        } catch (error) {
          const unfixable = permanentStorageFailure(error);
          if (unfixable !== undefined) {
            await this.failUnfixable(instanceId, unfixable);
            continue;
          }
          // Storage hiccups and crash-point throws: try again later with a growing delay.
          const n = (this.failures.get(instanceId) ?? 0) + 1;
          this.failures.set(instanceId, n);
          const delay = Math.min(30_000, 250 * 2 ** Math.min(n, 7));
          this.o.log('warn', 'durable reconcile failed; retrying', {
            instanceId,
            error: String(error),
            retryInMs: delay,
          });
          this.o.wakes.add(`retry:${instanceId}`, nowMs() + delay, () => this.kick(instanceId));
        }
      }
      this.states.delete(instanceId);
    })();
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task));
  }

  get busy(): boolean {
    return this.inflight.size > 0;
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  start(): void {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async reconcile(instanceId: string, repairIndex: boolean): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS && !this.stopped; round++) {
      const snapshot = await this.o.store.load(instanceId);
      if (!snapshot) {
        if (repairIndex) await this.dropOrphanIndexRow(instanceId);
        return;
      }
      if (repairIndex) {
        await this.repairIndex(snapshot);
        repairIndex = false;
      }
      const { state } = snapshot.stored;
      // Rows of older executions only: newer ones mean this snapshot is already stale.
      const older = snapshot.foreignRows.filter((key) => (key.split(':')[1] ?? '') < state.executionId);
      if (older.length > 0) await this.o.store.deleteRows(instanceId, older);
      if (isTerminal(state.runtimeStatus)) {
        await this.cleanupFinished(snapshot);
        return;
      }
      await this.deriveMissingWork(snapshot);
      this.dispatch(snapshot);

      const history = indexHistory(snapshot.history);
      const pending = [...snapshot.work.map(completionOf).filter((e) => e !== undefined), ...snapshot.messages];
      const selection = selectEpisode({
        executionId: state.executionId,
        runtimeStatus: state.runtimeStatus,
        started: snapshot.history.some((e) => e.EventType === EventType.ExecutionStarted),
        history,
        engine: state.engine,
        pending,
      });
      if (selection.type === 'idle') {
        if (selection.drop.length > 0) await this.o.store.deleteRows(instanceId, selection.drop);
        return;
      }
      const ctx = {
        registry: this.o.registry,
        log: this.o.log,
        timeScale: this.o.timeScale,
        nowMs: nowMs(),
      };
      const commit =
        selection.type === 'run'
          ? await runEpisode(ctx, snapshot, selection)
          : controlEpisode(ctx, snapshot, selection);
      if (!(await this.commit(snapshot, commit))) continue;
    }
  }

  /** Commits one episode; false when another writer got there first (the caller reloads). */
  private async commit(snapshot: Snapshot, commit: EpisodeCommit): Promise<boolean> {
    const { instanceId } = snapshot.stored.state;
    this.o.crashPoint('durable.episode.before-commit');
    let deferred: NewWorkRow[];
    try {
      deferred = await this.o.store.commit({
        previousEtag: snapshot.stored.etag,
        state: commit.state,
        pages: commit.pages,
        consumed: commit.consumed,
        work: commit.work,
        messages: commit.messages,
      });
    } catch (error) {
      if (error instanceof ConflictError || isConcurrencyFailure(error)) {
        this.o.log('info', 'durable episode lost a race; reloading', { instanceId });
        return false;
      }
      const unfixable = permanentStorageFailure(error);
      if (unfixable !== undefined) return this.failTooLarge(snapshot, unfixable);
      throw error;
    }
    this.o.crashPoint('durable.episode.after-commit');
    if (deferred.length > 0) await this.o.store.ensureWork(instanceId, deferred);
    if (commit.cleanup.length > 0) {
      for (const key of commit.cleanup) this.o.wakes.remove(`timer:${instanceId}:${key}`);
      await this.o.store.deleteRows(instanceId, commit.cleanup);
    }
    await this.o.index.project(commit.state);
    if (commit.state.runtimeStatus !== snapshot.stored.state.runtimeStatus) {
      this.o.log('info', `durable orchestration ${commit.state.runtimeStatus.toLowerCase()}`, {
        instanceId,
        name: commit.state.name,
      });
    }
    return true;
  }

  /**
   * An episode storage refuses for good (a result too large, a transaction over 100 operations)
   * fails the orchestration visibly instead of retrying forever.
   */
  private async failTooLarge(snapshot: Snapshot, reason: string): Promise<boolean> {
    const prev = snapshot.stored.state;
    const message = `Orchestrator function '${prev.name}' failed: ${reason}`;
    this.o.log('error', 'durable orchestration failed: storage refuses its episode for good', {
      instanceId: prev.instanceId,
      reason,
    });
    const state = {
      ...prev,
      runtimeStatus: 'Failed' as const,
      output: JSON.stringify(message),
      version: prev.version + 1,
      lastUpdatedTime: new Date(nowMs()).toISOString(),
    };
    try {
      await this.o.store.commit({
        previousEtag: snapshot.stored.etag,
        state,
        pages: [],
        consumed: [],
        work: [],
        messages: [],
      });
    } catch (e) {
      if (isConcurrencyFailure(e)) return false;
      throw e;
    }
    await this.o.index.project(state);
    return true;
  }

  /**
   * A round failed on something no retry fixes (a row that does not parse, a write storage refuses
   * for good): the instance is marked Failed with the reason — from its status columns alone,
   * since its history or engine state may be what cannot be read — and is not retried. Should the
   * marking itself fail (storage unreachable), the usual retry with backoff applies.
   */
  private async failUnfixable(instanceId: string, reason: string): Promise<void> {
    this.o.log('error', 'durable orchestration failed on a storage error retrying cannot fix', { instanceId, reason });
    try {
      const failed = await this.o.store.markFailed(instanceId, reason, nowMs());
      if (failed) await this.o.index.project(failed);
    } catch (error) {
      this.o.log('warn', 'durable orchestration could not be marked failed; retrying', {
        instanceId,
        error: String(error),
      });
      this.o.wakes.add(`retry:${instanceId}`, nowMs() + 1000, () => this.kick(instanceId));
    }
  }

  /**
   * TaskScheduled / TimerCreated without a completion and without a work row: the process died
   * between committing an episode and creating its work. Recreate the rows from the history (a
   * timer's due time follows from its TimerCreated time, so it is the same as before the crash).
   */
  private async deriveMissingWork(snapshot: Snapshot): Promise<void> {
    const { state } = snapshot.stored;
    const history = indexHistory(snapshot.history);
    const have = new Set(snapshot.work.map((w) => w.id));
    const missing: NewWorkRow[] = [];
    const cancelled = new Set(state.engine.slots.flatMap((s) => (s.kind === 'timer' && s.cancelled ? [s.id] : [])));
    for (const [id, e] of history.scheduled) {
      if (history.completed.has(id) || have.has(id) || cancelled.has(id)) continue;
      if (e.EventType === EventType.TaskScheduled) {
        missing.push({ kind: 'activity', executionId: state.executionId, id, name: e.Name, input: e.Input });
      } else if (e.EventType === EventType.TimerCreated) {
        const createdMs = Date.parse(e.Timestamp);
        const dueAtMs = createdMs + Math.max(0, Date.parse(e.FireAt) - createdMs) / this.o.timeScale;
        missing.push({ kind: 'timer', executionId: state.executionId, id, fireAt: e.FireAt, dueAtMs });
      }
    }
    if (missing.length === 0) return;
    // Only when nobody moved the instance on since our snapshot: a row that vanished because its
    // result was just applied must not be recreated.
    const now = await this.o.store.readState(state.instanceId);
    if (now?.etag !== snapshot.stored.etag) return;
    this.o.log('warn', 'durable work re-derived from history after an interruption', {
      instanceId: state.instanceId,
      tasks: missing.map((w) => w.id),
    });
    await this.o.store.ensureWork(state.instanceId, missing);
    const reloaded = await Promise.all(
      missing.map((w) => this.o.store.readWork(state.instanceId, workKey(w.executionId, w.id))),
    );
    for (const row of reloaded) if (row) snapshot.work.push(row);
  }

  /** Queues pending activities and arms pending timers. */
  private dispatch(snapshot: Snapshot): void {
    const { instanceId } = snapshot.stored.state;
    for (const row of snapshot.work) {
      if (row.status !== 'pending') continue;
      if (row.kind === 'activity') {
        this.o.activities().offer(instanceId, row);
      } else {
        this.o.wakes.add(`timer:${instanceId}:${row.rowKey}`, row.dueAtMs ?? 0, () => {
          void this.fireTimer(instanceId, row.rowKey);
        });
      }
    }
  }

  private async fireTimer(instanceId: string, rowKey: string): Promise<void> {
    try {
      const row = await this.o.store.readWork(instanceId, rowKey);
      if (row?.status !== 'pending' || row.kind !== 'timer') return;
      if ((row.dueAtMs ?? 0) > nowMs()) {
        this.o.wakes.add(
          `timer:${instanceId}:${rowKey}`,
          row.dueAtMs ?? 0,
          () => void this.fireTimer(instanceId, rowKey),
        );
        return;
      }
      this.o.crashPoint('durable.timer.before-fire');
      // If-Match the row as read: a timer fires once even if two engines hold it in memory.
      if (await this.o.store.complete(instanceId, row, new Date(nowMs()).toISOString())) {
        this.o.crashPoint('durable.timer.after-fire');
        this.kick(instanceId);
      }
    } catch (error) {
      this.o.log('warn', 'durable timer could not fire; retrying', { instanceId, rowKey, error: String(error) });
      this.o.wakes.add(`timer:${instanceId}:${rowKey}`, nowMs() + 1000, () => void this.fireTimer(instanceId, rowKey));
    }
  }

  /**
   * Work and messages left on a finished instance (a raised event that arrived as it completed, a
   * cancelled timer) are dropped, as the real extension discards them — unless the instance was
   * restarted meanwhile, in which case they may be the new execution's.
   */
  private async cleanupFinished(snapshot: Snapshot): Promise<void> {
    const { instanceId, executionId } = snapshot.stored.state;
    const leftovers = [
      ...snapshot.work.map((w) => w.rowKey),
      ...snapshot.messages.filter((m) => m.source !== 'start' || m.executionId <= executionId).map((m) => m.rowKey),
    ];
    if (leftovers.length === 0) return;
    const now = await this.o.store.readState(instanceId);
    if (now?.etag !== snapshot.stored.etag) return;
    for (const key of leftovers) this.o.wakes.remove(`timer:${instanceId}:${key}`);
    await this.o.store.deleteRows(instanceId, leftovers);
  }

  /** The index follows the state; it is repaired when a crash left it behind (or ahead). */
  private async repairIndex(snapshot: Snapshot): Promise<void> {
    const { state } = snapshot.stored;
    const row = await this.o.index.get(state.instanceId);
    const staleAhead =
      row !== undefined && row.version > state.version && nowMs() - Date.parse(row.lastUpdatedTime) > ORPHAN_AFTER_MS;
    if (!row || row.version < state.version || staleAhead) await this.o.index.project(state, { force: staleAhead });
  }

  private async dropOrphanIndexRow(instanceId: string): Promise<void> {
    const row = await this.o.index.get(instanceId);
    if (row && nowMs() - Date.parse(row.lastUpdatedTime) > ORPHAN_AFTER_MS) await this.o.index.delete(instanceId);
  }
}
