import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/host-process';

/**
 * Settings are read once, through the zod schema (shared/config/settings.ts) — which is also what
 * the infra test checks against main.bicep. A stray process.env read elsewhere would be a setting
 * that neither validation nor infra knows about.
 */
const ALLOWED = new Set(['shared/config/settings.ts', 'shared/secrets/secret-source.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

describe('settings discipline', () => {
  it('reads process.env only in the settings schema (and the local secret source)', () => {
    const offenders = ['shared', 'functions']
      .flatMap((dir) => sources(join(ROOT, dir)))
      .map((path) => relative(ROOT, path))
      .filter((path) => !ALLOWED.has(path) && readFileSync(join(ROOT, path), 'utf8').includes('process.env'));
    expect(offenders).toEqual([]);
  });
});
