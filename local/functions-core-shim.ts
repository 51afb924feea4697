import Module from 'node:module';
import type { FunctionCallback, FunctionMetadata, FunctionRegistry, HookCallback } from './registry';

/**
 * @azure/functions talks to the Functions worker through a module named `@azure/functions-core`,
 * which exists only inside the real worker. Outside it, the library falls back to a "test mode"
 * that silently drops registrations. We resolve that module name to a small implementation backed
 * by our registry before the app's entry is loaded, so every `app.http`, `app.timer`,
 * `app.serviceBusQueue` and durable-functions registration is captured with its metadata.
 */
const CORE_MODULE = '@azure/functions-core';
const SHIM_ID = '\0local-functions-core';

type Level = 'information' | 'warning' | 'error' | 'debug' | 'trace' | 'critical' | 'none';

export type CoreLogSink = (level: Level, category: string, message: string) => void;

export function installFunctionsCore(registry: FunctionRegistry, log: CoreLogSink): () => void {
  const core = {
    setProgrammingModel(model: unknown): void {
      registry.programmingModel = model;
    },
    getProgrammingModel(): unknown {
      return registry.programmingModel;
    },
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback) {
      registry.register(metadata, callback);
      return { dispose: () => registry.functions.delete(metadata.name) };
    },
    registerHook(name: string, callback: HookCallback) {
      return registry.addHook(name, callback);
    },
    log(level: Level, category: string, message: string): void {
      log(level, category, message);
    },
  };

  // Register the shim under a synthetic id in the require cache and point the name at it.
  const shimModule = new Module(SHIM_ID);
  shimModule.exports = core;
  shimModule.loaded = true;
  const cache = (Module as unknown as { _cache: Record<string, Module> })._cache;
  cache[SHIM_ID] = shimModule;

  type Resolve = (request: string, parent: unknown, isMain: boolean, options: unknown) => string;
  const mod = Module as unknown as { _resolveFilename: Resolve };
  const original = mod._resolveFilename;
  mod._resolveFilename = function resolve(request, parent, isMain, options) {
    if (request === CORE_MODULE) return SHIM_ID;
    return original.call(this, request, parent, isMain, options);
  };
  const restoreSetup = observeSetup(registry);
  return () => {
    restoreSetup();
    mod._resolveFilename = original;
    delete cache[SHIM_ID];
  };
}

/**
 * The worker learns from `app.setup` whether the app streams HTTP bodies (it then offers the host
 * an HttpUri capability); the local host has no worker handshake, so it notes the option as the app
 * sets it and forwards bodies accordingly (local/http-server.ts, docs/decisions.md §44).
 *
 * The library is patched when the app first loads it, not before: loading it here would move its
 * load out of the app's cold start (bench/cold-start measures the app and a hello world alike).
 */
function observeSetup(registry: FunctionRegistry): () => void {
  type SetupOptions = { enableHttpStream?: boolean };
  type Library = { app: { setup: (options: SetupOptions) => void } };
  type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
  const mod = Module as unknown as { _load: Load };
  const originalLoad = mod._load;
  let patched: { library: Library; descriptor: PropertyDescriptor | undefined } | undefined;
  const patch = (library: Library) => {
    const descriptor = Object.getOwnPropertyDescriptor(library.app, 'setup');
    const original = library.app.setup;
    Object.defineProperty(library.app, 'setup', {
      configurable: true,
      enumerable: true,
      get: () => (options: SetupOptions) => {
        original(options);
        if (options.enableHttpStream !== undefined) registry.httpStream = options.enableHttpStream;
      },
    });
    patched = { library, descriptor };
  };
  mod._load = function load(request, parent, isMain) {
    const loaded = originalLoad.call(this, request, parent, isMain);
    if (request === '@azure/functions' && patched === undefined) patch(loaded as Library);
    return loaded;
  };
  return () => {
    mod._load = originalLoad;
    if (patched?.descriptor) Object.defineProperty(patched.library.app, 'setup', patched.descriptor);
  };
}
