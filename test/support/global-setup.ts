import { execFileSync } from 'node:child_process';
import { type RunningAzurite, startAzurite } from '../../local/azurite';

/**
 * The integration and e2e tiers' global setup (docs/testing.md): one build of dist/ (for the tests
 * that start the local host as a process or load the built entries) and one in-memory Azurite for
 * the whole run (tests isolate themselves with unique tenant ids, table and queue names). The unit
 * tier has no global setup at all.
 *
 * Vitest runs a project's global setup once per project, and both tiers list this file; they run in
 * one vitest process, so the first call builds and starts, later calls share it, and the last
 * teardown stops Azurite.
 */
interface Shared {
  azurite: Promise<RunningAzurite>;
  users: number;
}

const KEY = Symbol.for('msp-hub.test.global-setup');
type WithShared = typeof globalThis & { [KEY]?: Shared };

export default async function setup(): Promise<() => Promise<void>> {
  const holder = globalThis as WithShared;
  let shared = holder[KEY];
  if (!shared) {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    shared = { azurite: startAzurite(), users: 0 };
    holder[KEY] = shared;
  }
  shared.users += 1;
  const azurite = await shared.azurite;
  process.env.TEST_STORAGE_CONNECTION = azurite.connectionString;
  return async () => {
    const current = holder[KEY];
    if (!current) return;
    current.users -= 1;
    if (current.users > 0) return;
    delete holder[KEY];
    await azurite.stop();
  };
}
