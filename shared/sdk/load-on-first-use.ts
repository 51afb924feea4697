/**
 * Loading an Azure SDK costs 25–130 ms of module evaluation (bench/cold-start/ measures it). A top-level
 * import makes every cold start pay for every SDK in the module graph, whether the invocation
 * touches it or not. These helpers stand in for an SDK's exports and load the package the first
 * time one of them is used; the types still come from `import type`, so nothing is untyped.
 *
 * The output is CommonJS (scripts/build.mjs) and vitest runs the sources with `require` available,
 * so a cached synchronous `require` keeps constructors and helpers synchronous at their call sites.
 */

/** Runs `load` once, on the first call, and returns its cached result afterwards. */
export function loadOnce<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => {
    loaded ??= { value: load() };
    return loaded.value;
  };
}

type AnyConstructor = abstract new (...args: never[]) => unknown;
type AnyFunction = (...args: never[]) => unknown;

/**
 * A class that loads its module on first `new` (or first static member read). `instanceof` and
 * subclassing behave as with the real class, because both read through to it.
 */
export function lazyClass<C extends AnyConstructor>(load: () => C): C {
  const real = loadOnce(load);
  // The target only has to be constructible for the `construct` trap to apply; it is never used.
  const placeholder = function placeholder() {} as unknown as C;
  const proxy: C = new Proxy(placeholder, {
    construct(_target, args, newTarget) {
      const cls = real() as unknown as new (...a: unknown[]) => object;
      return Reflect.construct(cls, args, newTarget === proxy ? cls : newTarget);
    },
    get(_target, property) {
      return Reflect.get(real(), property);
    },
    has(_target, property) {
      return Reflect.has(real(), property);
    },
  });
  return proxy;
}

/** A function (or tagged template) that loads its module on first call. */
export function lazyFunction<F extends AnyFunction>(load: () => F): F {
  const real = loadOnce(load);
  const call = (...args: Parameters<F>): ReturnType<F> => real()(...args) as ReturnType<F>;
  return call as F;
}

/**
 * A function whose implementation is imported on its first call (the result is always a promise,
 * so it stands in for async functions and for callbacks that may return one): trigger handlers are
 * registered at start with this as their callback, and the capability code behind them (its
 * schemas, tables, lookup data) is evaluated only when the first invocation arrives
 * (docs/decisions.md §38). A failed load is not cached, so the next call tries again.
 */
export function loadOnFirstCall<F extends AnyFunction>(load: () => Promise<F>): F {
  let loading: Promise<F> | undefined;
  const call = async (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    const real = await loading;
    return (await real(...args)) as Awaited<ReturnType<F>>;
  };
  return call as unknown as F;
}
