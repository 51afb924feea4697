'use strict';
// Copied to dist/app-bundle-loader.js by scripts/build.mjs; the stubs in dist/shared and
// dist/functions require it. It evaluates dist/app-bundle.js exactly as `require` would (same
// module wrapper, filename, `require` resolving from dist/), but hands V8 the code cache the build
// wrote after loading every function entry once. With it V8 neither parses the bundle nor compiles
// the functions a cold start runs; without it V8 compiles from source as usual. docs/decisions.md
// §33 and §43.
//
// The cache is an optimisation the app must survive losing, whatever the file holds:
// - written for another bundle: its first line names the bundle it was made for, so it is not used;
// - written by another Node/V8 version or with other V8 flags (a build machine that is not the
//   machine that runs it): V8 checks its own version and flag hashes and rejects it;
// - damaged (a flipped or truncated byte): V8 checks only the header and the payload length, and
//   deserialising a damaged payload can crash the process, so the first line also carries a digest
//   of the payload and a mismatch is refused here before V8 sees it.
// Anything but "used" is reported once as a process warning (code APP_BUNDLE_CODE_CACHE), which the
// Functions host logs; the app itself loads the same either way.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const BUNDLE = join(__dirname, 'app-bundle.js');
const CACHE = join(__dirname, 'app-bundle.cache');
/** The bundle's last line names its build; a cache file starts with `<bundle id> <payload digest>\n`. */
const ID_PATTERN = /\/\/# app-bundle-id=([0-9a-f]+)\s*$/;
const HEADER_PATTERN = /^([0-9a-f]+) ([0-9a-f]{32})\n/;

const source = readFileSync(BUNDLE, 'utf8');
const bundleId = ID_PATTERN.exec(source.slice(-100))?.[1] ?? '';

const digestOf = (payload) => createHash('sha256').update(payload).digest('hex').slice(0, 32);

/** The cache for this bundle, or why there is none: 'missing', 'other-bundle' or 'damaged'. */
function readCache(id) {
  let file;
  try {
    file = readFileSync(CACHE);
  } catch {
    return { status: 'missing' };
  }
  const header = HEADER_PATTERN.exec(file.subarray(0, 100).toString('latin1'));
  if (!header || !id || header[1] !== id) return { status: 'other-bundle' };
  const payload = file.subarray(header[0].length);
  if (digestOf(payload) !== header[2]) return { status: 'damaged' };
  return { status: 'offered', data: payload };
}

const cache = readCache(bundleId);
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: BUNDLE,
  cachedData: cache.data,
  importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
/** 'used', 'rejected' (by V8: other version or flags), 'other-bundle', 'damaged' or 'missing'. */
const codeCacheStatus = cache.status === 'offered' ? (script.cachedDataRejected ? 'rejected' : 'used') : cache.status;
if (codeCacheStatus !== 'used' && codeCacheStatus !== 'missing') {
  process.emitWarning(`app bundle code cache ${codeCacheStatus}; compiling from source (slower cold start only)`, {
    code: 'APP_BUNDLE_CODE_CACHE',
  });
}
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, createRequire(BUNDLE), bundle, BUNDLE, __dirname);

module.exports = {
  load: bundle.exports.load,
  /** For the build: the code cache as it stands now, headed by the bundle's id and its digest. */
  codeCache: () => {
    const payload = script.createCachedData();
    return Buffer.concat([Buffer.from(`${bundleId} ${digestOf(payload)}\n`), payload]);
  },
  codeCacheStatus,
  /** Whether a cache was there but not used (undefined when there was none); the bench prints it. */
  cacheRejected: codeCacheStatus === 'missing' ? undefined : codeCacheStatus !== 'used',
};
