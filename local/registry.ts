/**
 * What the app registered, captured the way the Functions worker sees it: one entry per
 * `registerFunction(metadata, callback)` call made by @azure/functions (and durable-functions on
 * top of it). The local host reads triggers from here; nothing else lists routes, queues or
 * schedules a second time.
 */

/** A binding as @azure/functions describes it to the worker (names are generated; match on type). */
export interface BindingInfo {
  name: string;
  type: string;
  direction: 'in' | 'out' | 'inout';
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingInfo>;
  retryOptions?: unknown;
}

/** The handler as registered: (triggerInput, InvocationContext) => result. */
export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  name: string;
  metadata: FunctionMetadata;
  callback: FunctionCallback;
  trigger: BindingInfo;
  extraInputs: BindingInfo[];
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: unknown) => unknown;

export class FunctionRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, Set<HookCallback>>();
  programmingModel: unknown;
  /** The app called `app.setup({ enableHttpStream: true })` (seen by local/functions-core-shim.ts). */
  httpStream = false;

  register(metadata: FunctionMetadata, callback: FunctionCallback): void {
    if (this.functions.has(metadata.name)) {
      throw new Error(`Function "${metadata.name}" is registered twice; function names must be unique.`);
    }
    const bindings = Object.values(metadata.bindings);
    const trigger = bindings.find((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
    if (!trigger) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
    const extraInputs = bindings.filter((b) => b !== trigger && b.direction === 'in');
    this.functions.set(metadata.name, { name: metadata.name, metadata, callback, trigger, extraInputs });
  }

  byTrigger(type: string): RegisteredFunction[] {
    return [...this.functions.values()].filter((f) => f.trigger.type === type);
  }

  get(name: string): RegisteredFunction | undefined {
    return this.functions.get(name);
  }

  addHook(name: string, callback: HookCallback): { dispose(): void } {
    let set = this.hooks.get(name);
    if (!set) {
      set = new Set();
      this.hooks.set(name, set);
    }
    set.add(callback);
    return { dispose: () => set.delete(callback) };
  }

  async runHooks(name: HookName, context: unknown): Promise<void> {
    for (const hook of this.hooks.get(name) ?? []) await hook(context);
  }
}
