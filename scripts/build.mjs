// Fast build for `npm start`, the test suite and Azure (tsc --noEmit gates `npm run build`; this
// only transpiles). dist/ mirrors the tree, so the Functions host loads dist/functions/*.js and the
// local host, benches and test fixtures require dist/<path>.js as before. What differs is where the
// deployed code lives (docs/decisions.md §33):
//
// - dist/app-bundle.js holds every module of shared/ and functions/ plus zod, in one file, each
//   module evaluated the first time it is required (esbuild's lazy module wrappers). Loading one
//   file instead of ~200 is most of the cold start saved, and zod's 64 locale files shrink to the
//   one it uses (English).
// - dist/app-bundle.cache is V8's code cache for the bundle, saved after loading every function
//   entry once; dist/app-bundle-loader.js (scripts/app-bundle-loader.cjs) evaluates the bundle with
//   it, so a cold start neither parses the bundle nor compiles what it runs.
// - dist/shared/**/*.js and dist/functions/*.js are one-line stubs into that bundle. Whoever requires
//   a module — a function entry, the local host, a bench, a test fixture — gets the bundle's single
//   instance, so module state (clock, crash points, process bus, settings cache, logger) is never
//   split between copies.
// - Every other npm package stays external: @azure/functions must be the one instance the worker
//   (or the local host's shim) talks to, and the Azure SDKs, durable-functions and undici already
//   load on first use (shared/sdk/).
//
// If the bundle fails to build (an import of a file someone has not written yet), the build warns
// and falls back to one transpiled file per module, which loads slower but behaves the same.
//
// The same script is the remote build on Azure (`npm run build`), where only the uploaded folders
// exist (docs/deploy.md, "What the deployed package holds"): shared/ and functions/ are bundled, the
// local-only roots below are transpiled when present and simply absent there, and nothing here
// reads a file outside the upload. test/integration/deploy-upload.test.ts builds that upload on its own.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const OUT = join(ROOT, 'dist');
const BUNDLE = 'app-bundle.js';
const LOADER = 'app-bundle-loader.js';
const CACHE = 'app-bundle.cache';
const BUNDLED_ROOTS = ['shared', 'functions'];
const OTHER_ROOTS = ['local', 'bench', 'test/fixtures', 'test/fakes', 'test/support'];
/** npm packages compiled into the bundle; the rest stay `require`d from node_modules. */
const BUNDLED_PACKAGES = new Set(['zod']);

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(join(ROOT, dir));
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) collect(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const transpileOptions = {
  outdir: OUT,
  outbase: ROOT,
  absWorkingDir: ROOT,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};

/** One output file per source file, imports left as `require` calls. */
async function transpile(files) {
  const { outputFiles } = await build({ ...transpileOptions, entryPoints: files, bundle: false, write: false });
  for (const output of outputFiles) writeIfChanged(output.path, output.contents);
}

/**
 * zod's entries export every locale (`z.locales`, `z.core.locales`: 64 files, half of zod's code)
 * although only the default, English, is applied. In the bundle both hold just `en`; nothing in
 * this repository selects another locale.
 */
const englishOnlyZodLocales = {
  name: 'zod-english-locale-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)
        ? { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * Packages outside BUNDLED_PACKAGES stay external. A bundled package is always resolved as an ESM
 * import, even from a `require` (the stub table below), so the bundle holds one zod, not its
 * CommonJS and ESM builds side by side.
 */
const packagesExternal = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (!BUNDLED_PACKAGES.has(name)) return { path: args.path, external: true };
      if (args.pluginData === 'resolved') return undefined;
      const result = await b.resolve(args.path, {
        kind: 'import-statement',
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      });
      return result.errors.length ? { errors: result.errors } : { path: result.path };
    });
  },
};

/** The id a stub asks the bundle for: the module's path without extension ("shared/clock/index"). */
const moduleId = (file) => file.replace(/\.ts$/, '');

async function bundleApp(files) {
  const table = files.map(
    (file) => `  ${JSON.stringify(moduleId(file))}: () => require(${JSON.stringify(`./${file}`)}),`,
  );
  const contents = [
    'const modules = {',
    ...table,
    '};',
    'exports.load = (id) => {',
    '  const load = modules[id];',
    "  if (!load) throw new Error('app-bundle: no module ' + id);",
    '  return load();',
    '};',
  ].join('\n');
  const { outputFiles } = await build({
    ...transpileOptions,
    write: false,
    stdin: { contents, resolveDir: ROOT, sourcefile: 'app-bundle-entry.js', loader: 'js' },
    outdir: undefined,
    outfile: join(OUT, BUNDLE),
    bundle: true,
    // Scope hoisting renames clashing identifiers (two `class NotFoundError`s); DomainError reads
    // `new.target.name`, so names are kept as written.
    keepNames: true,
    plugins: [packagesExternal, englishOnlyZodLocales],
    logLevel: 'silent',
  });
  return outputFiles;
}

/**
 * Others run the local host and tests from this same dist/ while a build runs: a file is written
 * next to its place and renamed over it, so a reader sees the old file or the new one, never half.
 */
function writeAtomically(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

/** Leaves a file that already has these bytes alone: nothing to race with, and mtimes mean something. */
function writeIfChanged(file, contents) {
  try {
    if (Buffer.compare(readFileSync(file), contents) === 0) return;
  } catch {
    // Not there yet.
  }
  writeAtomically(file, contents);
}

function writeStub(outFile, id) {
  const loader = relative(dirname(outFile), join(OUT, LOADER)).replaceAll('\\', '/');
  const specifier = loader.startsWith('.') ? loader : `./${loader}`;
  writeIfChanged(
    outFile,
    Buffer.from(`"use strict";\nmodule.exports = require(${JSON.stringify(specifier)}).load(${JSON.stringify(id)});\n`),
  );
  rmSync(`${outFile}.map`, { force: true });
}

/** The bundle, ending in the id its code cache is matched by (a hash of its content). */
function writeBundle(outputs) {
  for (const output of outputs) {
    if (!output.path.endsWith(BUNDLE)) {
      writeIfChanged(output.path, output.contents);
      continue;
    }
    const id = createHash('sha256').update(output.contents).digest('hex').slice(0, 16);
    writeIfChanged(output.path, Buffer.concat([output.contents, Buffer.from(`\n//# app-bundle-id=${id}\n`)]));
  }
  writeIfChanged(join(OUT, LOADER), readFileSync(join(ROOT, 'scripts', 'app-bundle-loader.cjs')));
}

/**
 * Loads every function entry once, the way a cold start does, and saves V8's code cache for the
 * bundle: the parsed bundle plus every function that loading compiled. A failure only costs the
 * cache, so it warns.
 *
 * @azure/functions registers through `@azure/functions-core`, which only the real worker provides;
 * a stand-in that accepts and drops registrations is enough here. It is written inline rather than
 * borrowed from local/ because the remote build (docs/deploy.md, "Package") has only the uploaded
 * folders, and local/ is not one of them.
 */
function writeCodeCache(entries) {
  const script = `
    const Module = require('node:module');
    const core = {
      setProgrammingModel() {}, getProgrammingModel() { return undefined; },
      registerFunction() { return { dispose() {} }; }, registerHook() { return { dispose() {} }; },
      log() {},
    };
    const id = '\\0build-functions-core';
    const stub = new Module(id);
    stub.exports = core;
    stub.loaded = true;
    Module._cache[id] = stub;
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      return request === '@azure/functions-core' ? id : resolve.call(this, request, ...rest);
    };
    for (const entry of ${JSON.stringify(entries)}) require(entry);
    process.stdout.write(require('./dist/${LOADER}').codeCache().toString('base64'));
  `;
  try {
    const cache = execFileSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    writeAtomically(join(OUT, CACHE), Buffer.from(cache.toString(), 'base64'));
  } catch (error) {
    rmSync(join(OUT, CACHE), { force: true });
    process.stderr.write(`build: no code cache for the app bundle (cold starts compile it):\n${error}\n`);
  }
}

const bundled = BUNDLED_ROOTS.flatMap((root) => collect(root, []));
const others = OTHER_ROOTS.flatMap((root) => collect(root, []));
const [bundleResult, othersResult] = await Promise.allSettled([bundleApp(bundled), transpile(others)]);
if (othersResult.status === 'rejected') throw othersResult.reason;

if (bundleResult.status === 'fulfilled') {
  // The bundle and its loader first, then the stubs that point into it, then its code cache.
  writeBundle(bundleResult.value);
  for (const file of bundled) writeStub(join(OUT, file.replace(/\.ts$/, '.js')), moduleId(file));
  writeCodeCache(bundled.filter((file) => file.startsWith('functions/')).map((file) => `./dist/${moduleId(file)}.js`));
} else {
  const messages = bundleResult.reason?.errors?.map((e) => `  ${e.location?.file ?? ''}: ${e.text}`) ?? [];
  process.stderr.write(
    `build: the app bundle failed, falling back to one file per module (slower cold start):\n${messages.join('\n') || bundleResult.reason}\n`,
  );
  await transpile(bundled);
  for (const name of [BUNDLE, `${BUNDLE}.map`, LOADER, CACHE]) rmSync(join(OUT, name), { force: true });
}

// The host loads every dist/functions/*.js: an entry whose source was renamed or removed must not
// linger there (its stub would name a module the bundle no longer has, or register twice).
const entryNames = new Set(bundled.filter((f) => f.startsWith('functions/')).map((f) => f.slice(10, -3)));
for (const name of readdirSync(join(OUT, 'functions'), { withFileTypes: true })) {
  const base = name.name.replace(/\.js(\.map)?$/, '');
  if (name.isFile() && base !== name.name && !entryNames.has(base)) rmSync(join(OUT, 'functions', name.name));
}
