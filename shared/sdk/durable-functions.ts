import { app as functionsApp, input as functionsInput, trigger as functionsTrigger } from '@azure/functions';
import type * as Sdk from 'durable-functions';
import { lazyFunction, loadOnce, loadOnFirstCall } from './load-on-first-use';

/**
 * durable-functions (~110 ms to load with lodash, validator and moment) without paying for it at
 * start. What the worker and the local host see is the registration — function name, trigger type
 * and options, made through @azure/functions exactly as durable-functions' own `app.orchestration`
 * and `app.activity` make it (node_modules/durable-functions/lib/src/app.js). Only the callback is
 * deferred: the first orchestration episode or activity call loads the package and builds the
 * same handler durable-functions would have registered (its replay engine, its activity
 * failure wrapper), and every later call goes straight to it.
 *
 * The two handler builders are internals of durable-functions (pinned in package.json); a version
 * that moves them fails the first orchestration in test/e2e, not silently.
 */
type Callback = (triggerInput: unknown, context: Parameters<Sdk.ActivityHandler>[1]) => Promise<unknown>;

interface Internals {
  createOrchestrator(handler: Sdk.OrchestrationHandler): Callback;
  wrapActivityHandler(handler: Sdk.ActivityHandler): Callback;
  RegisteredOrchestrationTask: new (
    name: string,
    input: unknown,
    instanceId: string | undefined,
  ) => Sdk.RegisteredOrchestrationTask;
  RegisteredActivityTask: new (name: string, input: unknown) => Sdk.RegisteredActivityTask;
}

const sdk = loadOnce((): typeof Sdk => require('durable-functions'));
const internals = loadOnce(
  (): Internals => ({
    createOrchestrator: require('durable-functions/lib/src/util/testingUtils').createOrchestrator,
    wrapActivityHandler: require('durable-functions/lib/src/app').wrapActivityHandler,
    RegisteredOrchestrationTask: require('durable-functions/lib/src/task/RegisteredOrchestrationTask')
      .RegisteredOrchestrationTask,
    RegisteredActivityTask: require('durable-functions/lib/src/task/RegisteredActivityTask').RegisteredActivityTask,
  }),
);

/** A callback that builds the real one on its first call. */
function deferred(build: () => Callback): Callback {
  const real = loadOnce(build);
  return (triggerInput, context) => real()(triggerInput, context);
}

function orchestration(functionName: string, handler: Sdk.OrchestrationHandler): Sdk.RegisteredOrchestration;
function orchestration(functionName: string, options: Sdk.OrchestrationOptions): Sdk.RegisteredOrchestration;
function orchestration(
  functionName: string,
  handlerOrOptions: Sdk.OrchestrationHandler | Sdk.OrchestrationOptions,
): Sdk.RegisteredOrchestration {
  const options = typeof handlerOrOptions === 'function' ? { handler: handlerOrOptions } : handlerOrOptions;
  functionsApp.generic(functionName, {
    trigger: functionsTrigger.generic({ type: 'orchestrationTrigger' }),
    ...options,
    handler: deferred(() => internals().createOrchestrator(options.handler)),
  });
  return (input, instanceId) => new (internals().RegisteredOrchestrationTask)(functionName, input, instanceId);
}

function activity(functionName: string, options: Sdk.ActivityOptions): Sdk.RegisteredActivity {
  functionsApp.generic(functionName, {
    trigger: functionsTrigger.generic({ type: 'activityTrigger' }),
    ...options,
    handler: deferred(() => internals().wrapActivityHandler(options.handler)),
  });
  return (input) => new (internals().RegisteredActivityTask)(functionName, input);
}

/**
 * `orchestration`, with the orchestrator function itself imported on the first episode too: the
 * registration names the orchestration, and the capability code behind it (its input schemas,
 * its tables' types) is evaluated when an instance first runs (docs/decisions.md §38).
 */
function lazyOrchestration(
  functionName: string,
  load: () => Promise<Sdk.OrchestrationHandler>,
): Sdk.RegisteredOrchestration {
  functionsApp.generic(functionName, {
    trigger: functionsTrigger.generic({ type: 'orchestrationTrigger' }),
    handler: loadOnFirstCall(async (): Promise<Callback> => internals().createOrchestrator(await load())),
  });
  return (input, instanceId) => new (internals().RegisteredOrchestrationTask)(functionName, input, instanceId);
}

/** `df.app`: registrations now, durable-functions (and with `lazyOrchestration` the orchestrator) on the first invocation. */
export const app = { orchestration, lazyOrchestration, activity };

/** `df.input`: the durable client binding is plain metadata and needs no package. */
export const input = {
  durableClient: (): Sdk.DurableClientInput =>
    functionsInput.generic({ type: 'durableClient' }) as Sdk.DurableClientInput,
};

/** `df.getClient`: loads durable-functions when a function first asks for its client. */
export const getClient: typeof Sdk.getClient = lazyFunction(() => sdk().getClient);

export type {
  ActivityHandler,
  DurableClient,
  DurableClientInput,
  OrchestrationContext,
  OrchestrationHandler,
  RegisteredActivity,
  RegisteredOrchestration,
  Task,
} from 'durable-functions';
