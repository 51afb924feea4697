import { execFileSync } from 'node:child_process';
import { startAzurite } from '../../local/azurite';

/**
 * One in-memory Azurite for the whole run (tests isolate themselves with unique tenant ids, table
 * and queue names), and one build of dist/ for the tests that start the local host as a process.
 */
export default async function setup(): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const azurite = await startAzurite();
  process.env.TEST_STORAGE_CONNECTION = azurite.connectionString;
  return () => azurite.stop();
}
