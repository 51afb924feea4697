import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/bicep-text';

/**
 * The V8 code cache beside the bundle (scripts/app-bundle-loader.cjs) is built where the build runs,
 * which need not be the machine, Node version or V8 flags that run it (docs/deploy.md, "Remote build
 * or local build"). Whatever the cache file holds, the app must load exactly the same and say that
 * the cache was not used. Each case copies the built bundle and loader into a folder of its own,
 * puts a cache beside them, and loads a module in a fresh process.
 */

const dist = join(repoRoot, 'dist');
const folders: string[] = [];
let builtCache: Buffer;

beforeAll(() => {
  builtCache = readFileSync(join(dist, 'app-bundle.cache'));
});

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function bundleFolder(cache: Buffer | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'msp-hub-cache-'));
  folders.push(dir);
  copyFileSync(join(dist, 'app-bundle.js'), join(dir, 'app-bundle.js'));
  copyFileSync(join(dist, 'app-bundle-loader.js'), join(dir, 'app-bundle-loader.js'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'junction');
  if (cache) writeFileSync(join(dir, 'app-bundle.cache'), cache);
  return dir;
}

interface Load {
  status: number | null;
  signal: NodeJS.Signals | null;
  codeCacheStatus?: string;
  cacheRejected?: boolean | null;
  /** The clock module works: the bundle was evaluated and a module loaded from it. */
  loaded?: boolean;
  stderr: string;
}

function load(dir: string, nodeFlags: string[] = []): Load {
  const script = `
    const loader = require('./app-bundle-loader.js');
    const clock = loader.load('shared/clock/index');
    process.stdout.write(JSON.stringify({
      codeCacheStatus: loader.codeCacheStatus,
      cacheRejected: loader.cacheRejected ?? null,
      loaded: Object.keys(clock).length > 0,
    }));
  `;
  const run = spawnSync(process.execPath, [...nodeFlags, '-e', script], { cwd: dir, encoding: 'utf8' });
  const parsed = run.status === 0 ? (JSON.parse(run.stdout) as Omit<Load, 'status' | 'signal' | 'stderr'>) : {};
  return { status: run.status, signal: run.signal, stderr: run.stderr, ...parsed };
}

/** Where V8's own header starts: after the `<bundle id> <digest>\n` line. */
const payloadStart = (cache: Buffer) => cache.indexOf(0x0a) + 1;

const WARNING = /\[APP_BUNDLE_CODE_CACHE\] Warning: app bundle code cache (rejected|damaged|other-bundle)/;

describe('the bundle loader and its V8 code cache', () => {
  it('uses the cache the build wrote, silently', () => {
    const result = load(bundleFolder(builtCache));
    expect(result).toMatchObject({ status: 0, codeCacheStatus: 'used', cacheRejected: false, loaded: true });
    expect(result.stderr).not.toMatch(WARNING);
  });

  it('loads without a cache and does not warn', () => {
    const result = load(bundleFolder(undefined));
    expect(result).toMatchObject({ status: 0, codeCacheStatus: 'missing', cacheRejected: null, loaded: true });
    expect(result.stderr).not.toMatch(WARNING);
  });

  it('a cache from another V8 version is rejected by V8; the app loads and warns', () => {
    const cache = Buffer.from(builtCache);
    // V8's header: magic number (4 bytes), then the hash of the V8 version that wrote it. Another
    // Node release writes another hash; the payload digest is left valid, so only V8 can refuse it.
    const versionHash = payloadStart(cache) + 4;
    cache.writeUInt32LE(cache.readUInt32LE(versionHash) ^ 0x5a5a5a5a, versionHash);
    const header = cache.subarray(0, payloadStart(cache)).toString('latin1');
    const bundleId = header.split(' ')[0] ?? '';
    const payload = cache.subarray(payloadStart(cache));
    const digest = createHash('sha256').update(payload).digest('hex').slice(0, 32);
    const result = load(bundleFolder(Buffer.concat([Buffer.from(`${bundleId} ${digest}\n`), payload])));
    expect(result).toMatchObject({ status: 0, codeCacheStatus: 'rejected', cacheRejected: true, loaded: true });
    expect(result.stderr).toMatch(WARNING);
  });

  it('a cache written under other V8 flags (a heap limit a worker may be started with) is rejected; the app loads and warns', () => {
    const dir = bundleFolder(undefined);
    const written = execFileSync(
      process.execPath,
      ['--max-old-space-size=1536', '-e', "process.stdout.write(require('./app-bundle-loader.js').codeCache())"],
      { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(join(dir, 'app-bundle.cache'), written);
    // Under the same flags it is good...
    expect(load(dir, ['--max-old-space-size=1536'])).toMatchObject({ status: 0, codeCacheStatus: 'used' });
    // ...and under the default ones V8 refuses it.
    const result = load(dir);
    expect(result).toMatchObject({ status: 0, codeCacheStatus: 'rejected', loaded: true });
    expect(result.stderr).toMatch(WARNING);
  });

  it('a damaged cache never reaches V8 (deserialising one can crash the process); the app loads and warns', () => {
    const cache = Buffer.from(builtCache);
    const start = payloadStart(cache);
    for (let at = start + 4096; at < start + 4196; at++) cache[at] = (cache[at] ?? 0) ^ 0x55;
    const result = load(bundleFolder(cache));
    expect(result.signal).toBeNull();
    expect(result).toMatchObject({ status: 0, codeCacheStatus: 'damaged', cacheRejected: true, loaded: true });
    expect(result.stderr).toMatch(WARNING);

    const truncated = load(bundleFolder(builtCache.subarray(0, builtCache.length - 1000)));
    expect(truncated).toMatchObject({ status: 0, codeCacheStatus: 'damaged', loaded: true });
  });

  it('a cache written for another bundle, or with no header, is not offered to V8', () => {
    const otherBundle = Buffer.concat([Buffer.from('0123456789abcdef'), builtCache.subarray(16)]);
    expect(load(bundleFolder(otherBundle))).toMatchObject({ status: 0, codeCacheStatus: 'other-bundle', loaded: true });
    const noHeader = builtCache.subarray(payloadStart(builtCache));
    const result = load(bundleFolder(noHeader));
    expect(result).toMatchObject({ status: 0, codeCacheStatus: 'other-bundle', loaded: true });
    expect(result.stderr).toMatch(WARNING);
  });
});
