import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/bicep-text';
import { buildUpload, mainEntries, parseIgnore, trackedFiles, uploadSet } from '../support/upload-set';

/**
 * `azd deploy` uploads the project less .funcignore and the platform builds it remotely with
 * `npm install`, `npm run build`, `npm run build:azure` (docs/deploy.md). This suite builds that very
 * upload in an empty folder, so a deployed file that imports something the upload leaves out (or a
 * build step that needs it) fails here instead of in the deployment log.
 */

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
};
const funcignore = readFileSync(join(repoRoot, '.funcignore'), 'utf8');
const nodeModules = join(repoRoot, 'node_modules');
const folders: string[] = [];

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'msp-hub-upload-'));
  folders.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** Packages `npm prune --omit=dev` keeps: top-level entries of package-lock.json not marked dev. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, info]) => /^node_modules\/(@[^/]+\/)?[^/@][^/]*$/.test(path) && !info.dev && !info.devOptional)
    .map(([path]) => path.slice('node_modules/'.length));
}

describe('.funcignore rules as azd applies them', () => {
  it('match folders, globs and anchored paths the way gitignore does', () => {
    const set = uploadSet(
      ['local/main.ts', 'shared/local/x.ts', 'a.log', 'shared/b.log', '.gitignore', 'test/x.ts', 'shared/test/y.ts'],
      '*.log\n.git*\n/local/\ntest/\n',
    );
    expect(set).toEqual(['shared/local/x.ts']);
    expect(() => parseIgnore('!keep.ts')).toThrow(/negation/);
  });

  it('keeps local-only code, tests and secrets out and lets the deployed code in', () => {
    const set = uploadSet(trackedFiles(repoRoot), funcignore);
    for (const kept of ['package.json', 'package-lock.json', 'host.json', 'tsconfig.json', 'tsconfig.deploy.json']) {
      expect(set, kept).toContain(kept);
    }
    expect(set).toContain('scripts/build.mjs');
    expect(set.some((file) => file.startsWith('functions/'))).toBe(true);
    expect(set.some((file) => file.startsWith('shared/'))).toBe(true);
    for (const prefix of ['local/', 'test/', 'bench/', 'infra/', 'docs/', '.ci/']) {
      expect(
        set.filter((file) => file.startsWith(prefix)),
        prefix,
      ).toEqual([]);
    }
  });
});

describe('the upload builds on its own', () => {
  it('build:azure only prunes: the remote build type-checks and bundles once, in `npm run build`', () => {
    expect(packageJson.scripts.build).toBe('tsc --noEmit -p tsconfig.deploy.json && node scripts/build.mjs');
    expect(packageJson.scripts['build:azure']).toBe('npm prune --omit=dev');
    expect(packageJson.scripts.typecheck).toBe('tsc --noEmit -p tsconfig.json');
    expect(packageJson.scripts.test).toMatch(/^npm run typecheck && /);
    const deployConfig = readFileSync(join(repoRoot, 'tsconfig.deploy.json'), 'utf8');
    expect(deployConfig).toMatch(/"include": \["functions", "shared"\]/);
  });

  // tsc over the deployed code plus the bundle: tens of seconds on a busy two-core runner.
  it('the tracked files less .funcignore pass `npm run build` and leave the entries package.json names; they load with production dependencies only', {
    timeout: 180_000,
  }, () => {
    const into = scratch();
    const files = uploadSet(trackedFiles(repoRoot), funcignore);
    const result = buildUpload({ from: repoRoot, files, into, nodeModules });
    expect(result.ok, result.output).toBe(true);
    const expected = files
      .filter((file) => /^functions\/[^/]+\.ts$/.test(file))
      .map((file) => `dist/${file.replace(/\.ts$/, '.js')}`)
      .sort();
    expect(packageJson.main).toBe('dist/functions/*.js');
    expect(result.entries.sort()).toEqual(expected);
    // The code cache was written on this machine's V8 and is used when the entries load.
    expect(readFileSync(join(into, 'dist', 'app-bundle.cache')).length).toBeGreaterThan(0);

    // What `npm prune --omit=dev` leaves (never run here: node_modules is the repository's own).
    unlinkSync(join(into, 'node_modules'));
    for (const name of productionPackages()) {
      const link = join(into, 'node_modules', name);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(join(nodeModules, name), link, 'junction');
    }
    const loader = join(into, 'load-entries.cjs');
    writeFileSync(
      loader,
      [
        "const Module = require('node:module');",
        "const id = '\\0test-functions-core';",
        'const stub = new Module(id);',
        'let registered = 0;',
        'stub.exports = { setProgrammingModel() {}, getProgrammingModel() {}, registerHook() { return { dispose() {} }; },',
        '  registerFunction() { registered += 1; return { dispose() {} }; }, log() {} };',
        'stub.loaded = true;',
        'Module._cache[id] = stub;',
        'const resolve = Module._resolveFilename;',
        "Module._resolveFilename = function (r, ...rest) { return r === '@azure/functions-core' ? id : resolve.call(this, r, ...rest); };",
        `for (const entry of ${JSON.stringify(result.entries)}) require('./' + entry);`,
        "process.stdout.write(JSON.stringify({ registered, cache: require('./dist/app-bundle-loader.js').codeCacheStatus }));",
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, [loader], { cwd: into, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { registered: number; cache: string };
    expect(report.registered).toBeGreaterThanOrEqual(expected.length);
    expect(report.cache).toBe('used');
  });

  it('fails, naming the import, when a deployed file imports something .funcignore leaves out (fixture)', () => {
    const from = scratch();
    const into = scratch();
    const copy = (file: string) => {
      mkdirSync(join(from, file, '..'), { recursive: true });
      writeFileSync(join(from, file), readFileSync(join(repoRoot, file)));
    };
    for (const file of [
      'package.json',
      'tsconfig.json',
      'tsconfig.deploy.json',
      '.funcignore',
      'scripts/build.mjs',
      'scripts/app-bundle-loader.cjs',
    ]) {
      copy(file);
    }
    const fixture: Record<string, string> = {
      'shared/greeting/index.ts':
        "import { helper } from '../../test/support/helper';\nexport const greeting = helper('hi');\n",
      'functions/greet.ts': "import { greeting } from '../shared/greeting';\nexport const text: string = greeting;\n",
      'test/support/helper.ts': 'export const helper = (s: string): string => s;\n',
    };
    for (const [file, text] of Object.entries(fixture)) {
      mkdirSync(join(from, file, '..'), { recursive: true });
      writeFileSync(join(from, file), text);
    }
    const all = [...Object.keys(fixture), 'package.json', 'tsconfig.json', 'tsconfig.deploy.json', '.funcignore'];
    all.push('scripts/build.mjs', 'scripts/app-bundle-loader.cjs');
    const files = uploadSet(all, funcignore);
    expect(files).not.toContain('test/support/helper.ts');
    const result = buildUpload({ from, files, into, nodeModules });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(
      /shared\/greeting\/index\.ts.*TS2307: Cannot find module '\.\.\/\.\.\/test\/support\/helper'/,
    );
    expect(mainEntries(into)).toEqual([]);
  });
});
