import { AsyncLocalStorage } from 'node:async_hooks';
import type { DurableClient } from '../sdk/durable-functions';

/**
 * The durable client of the trigger invocation in progress, for code deep inside a handler that
 * was not handed one (a pipeline stage publishing an outbound event). A queue trigger registered
 * with `{ durableClient: true }` runs its handler inside `withInvocationDurableClient`; everything
 * awaited from there sees the same client, and nothing outside that call does.
 */
const current = new AsyncLocalStorage<DurableClient>();

export function withInvocationDurableClient<T>(client: DurableClient, run: () => Promise<T>): Promise<T> {
  return current.run(client, run);
}

/** The invocation's durable client, or undefined when the trigger did not declare the binding. */
export function invocationDurableClient(): DurableClient | undefined {
  return current.getStore();
}
