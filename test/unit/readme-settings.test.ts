import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingSpecs } from '../../shared/config/settings';
import { ROOT } from '../support/host-process';

/**
 * The README configuration table is where an operator looks up a setting; every setting in the
 * schema (shared/config/settings.ts) needs a row there, named in backticks in the first column.
 */
function configurationTableNames(readme: string): Set<string> {
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
  const names = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? ''));
  return new Set(names);
}

describe('README configuration table', () => {
  it('has a row for every setting in the schema', () => {
    const listed = configurationTableNames(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(Object.keys(settingSpecs).filter((name) => !listed.has(name))).toEqual([]);
  });
});
