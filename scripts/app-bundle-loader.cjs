'use strict';
// Copied to dist/app-bundle-loader.js by scripts/build.mjs; the stubs in dist/shared and
// dist/functions require it. It evaluates dist/app-bundle.js exactly as `require` would (same
// module wrapper, filename, `require` resolving from dist/), but hands V8 the code cache the build
// wrote after loading every function entry once. With it V8 neither parses the bundle nor compiles
// the functions a cold start runs; without it (first build, a Node or V8 flag change, a cache
// written for another bundle) V8 compiles from source as usual. docs/decisions.md §33.
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const BUNDLE = join(__dirname, 'app-bundle.js');
const CACHE = join(__dirname, 'app-bundle.cache');
/** The bundle's last line names its build; a cache file starts with the name it was made for. */
const ID_PATTERN = /\/\/# app-bundle-id=([0-9a-f]+)\s*$/;

const source = readFileSync(BUNDLE, 'utf8');
const bundleId = ID_PATTERN.exec(source.slice(-100))?.[1] ?? '';

function cacheFor(id) {
  let file;
  try {
    file = readFileSync(CACHE);
  } catch {
    return undefined;
  }
  const header = Buffer.from(`${id}\n`);
  // V8 checks a cache against the source's length only; the id ties it to this exact bundle.
  return id && file.subarray(0, header.length).equals(header) ? file.subarray(header.length) : undefined;
}

const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: BUNDLE,
  cachedData: cacheFor(bundleId),
  importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, createRequire(BUNDLE), bundle, BUNDLE, __dirname);

module.exports = {
  load: bundle.exports.load,
  /** For the build: the code cache as it stands now, headed by the bundle's id. */
  codeCache: () => Buffer.concat([Buffer.from(`${bundleId}\n`), script.createCachedData()]),
  /** Whether V8 refused the cache it was given (undefined when there was none). */
  cacheRejected: script.cachedDataRejected,
};
