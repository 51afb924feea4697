import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The deployed package's version, read once from the nearest package.json above this file (the
 * same lookup works from shared/ under vitest and from dist/shared/ in Azure and the local host).
 */
function findVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const parsed: unknown = JSON.parse(readFileSync(candidate, 'utf8'));
      const version = (parsed as { version?: unknown }).version;
      if (typeof version === 'string') return version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export const HUB_VERSION = findVersion();
