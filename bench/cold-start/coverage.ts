import type { Session } from 'node:inspector';

/**
 * What a cold process evaluated, read from V8's precise coverage (shared by load-once.ts, which
 * lists what registration evaluates, and first-call.ts, which lists what the first invocation adds).
 */
export interface Coverage {
  result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>;
}

export function packageOf(file: string): string | undefined {
  const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
  return match?.[1]?.replace('\\', '/');
}

export function post<T>(session: Session, method: string, params?: object): T {
  let result: T | undefined;
  let failure: Error | null = null;
  // An in-process session answers synchronously.
  session.post(method, params, (error, value) => {
    failure = error;
    result = value as T;
  });
  if (failure) throw failure;
  return result as T;
}

const APP_MODULE = /^(shared|functions)\/.+\.ts$/;

/**
 * The app's modules whose top-level code ran. In dist/app-bundle.js a module's initialiser is a
 * function named after its source path, run at most once, so a call count above zero means the
 * module was evaluated. Without the bundle (one file per module) every module is its own file in
 * require.cache.
 */
export function evaluatedModules(coverage: Coverage, dist: string): string[] {
  const found = new Set<string>();
  for (const script of coverage.result) {
    for (const fn of script.functions) {
      if (APP_MODULE.test(fn.functionName) && (fn.ranges[0]?.count ?? 0) > 0) found.add(fn.functionName);
    }
  }
  if (!Object.keys(require.cache).some((file) => /[\\/]app-bundle-loader\.js$/.test(file))) {
    for (const file of Object.keys(require.cache)) {
      const relative = file.startsWith(dist) ? file.slice(dist.length + 1).replaceAll('\\', '/') : '';
      if (/^(shared|functions)\/.+\.js$/.test(relative)) found.add(relative.replace(/\.js$/, '.ts'));
    }
  }
  return [...found].sort();
}

/** The npm packages in require.cache now that were not in `before`. */
export function packagesLoadedSince(before: ReadonlySet<string>): string[] {
  const packages = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const name = before.has(file) ? undefined : packageOf(file);
    if (name) packages.add(name);
  }
  return [...packages].sort();
}
