import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The local host's process-level safety net (policy in docs/runbooks/local-host.md):
 *
 * - Every request runs inside `requestScope`, and Node keeps that async context for callbacks and
 *   promises the request started. An uncaught exception or unhandled rejection raised there is the
 *   request's failure: it is logged with the request's correlation id, the request is answered
 *   (or its socket closed) through `fail`, and the host keeps serving.
 * - An unhandled rejection outside any request is logged and the host keeps serving: a rejected
 *   promise nobody awaited unwound no synchronous code half-way, and every background loop that
 *   matters (bus, durable engine) persists its progress and retries from storage.
 * - An uncaught exception outside any request ends the process (exit 70) after logging it: Node
 *   cannot vouch for the state of the emitter or stream that threw, and everything the host owns is
 *   crash-safe (Azurite flushes and exits with its parent; queues and orchestrations resume from
 *   storage), so stopping is the safe answer — exactly what a SIGKILL would have done.
 */
export interface RequestScope {
  correlationId: string;
  method: string;
  path: string;
  /** Answers the request with a 500 problem if it has not been answered yet, else closes it. */
  fail(error: unknown): void;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Name and message only: a stack or an error's own fields could carry request data or secrets. */
export function describeError(error: unknown): { errorName: string; error: string } {
  if (error instanceof Error) return { errorName: error.name, error: error.message.slice(0, 500) };
  return { errorName: typeof error, error: String(error).slice(0, 500) };
}

export const UNCAUGHT_EXIT_CODE = 70;

export function installProcessSafetyNet(options: { log: Log; exit: (code: number) => void }): () => void {
  // A handler that throws would itself be fatal, so logging failures (closed stderr) are dropped.
  const log: Log = (level, message, fields) => {
    try {
      options.log(level, message, fields);
    } catch {
      // nowhere left to report it
    }
  };
  const answer = (scope: RequestScope, error: unknown) => {
    try {
      scope.fail(error);
    } catch (failure) {
      log('error', 'could not answer a failed request', describeError(failure));
    }
  };
  const onRejection = (reason: unknown) => {
    const scope = requestScope.getStore();
    if (scope) {
      log('error', 'unhandled rejection in a request; the request failed, the host keeps serving', {
        correlationId: scope.correlationId,
        method: scope.method,
        path: scope.path,
        ...describeError(reason),
      });
      answer(scope, reason);
      return;
    }
    log('error', 'unhandled rejection outside any request; the host keeps serving', describeError(reason));
  };
  const onException = (error: unknown) => {
    const scope = requestScope.getStore();
    if (scope) {
      log('error', 'uncaught exception in a request; the request failed, the host keeps serving', {
        correlationId: scope.correlationId,
        method: scope.method,
        path: scope.path,
        ...describeError(error),
      });
      answer(scope, error);
      return;
    }
    log('error', 'uncaught exception outside any request; stopping the host', describeError(error));
    options.exit(UNCAUGHT_EXIT_CODE);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
