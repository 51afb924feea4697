// Fast build for `npm start` and the test suite: transpile every TypeScript file to CommonJS
// without type-checking (tsc --noEmit runs in `npm test`). One output file per source file so
// dist/ mirrors the tree and the Functions host can load dist/functions/*.js.
// Not bundled: per-entry bundles would split module state between entries and the local host, and
// a single bundle measured only 10-20 % faster to load (docs/decisions.md §20, bench/cold-start/).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const roots = ['functions', 'shared', 'local', 'bench', 'test/fixtures', 'test/fakes', 'test/support'];

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const entryPoints = roots.flatMap((root) => collect(root, []));
await build({
  entryPoints,
  outdir: 'dist',
  outbase: '.',
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  bundle: false,
  logLevel: 'warning',
});
