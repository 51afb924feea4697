import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import {
  FernetError,
  FernetKeyError,
  fernetDecrypt,
  fernetEncrypt,
  generateFernetKey,
  MultiFernet,
} from '../../shared/crypto/fernet';

/**
 * The Node side of Fernet: the spec's acceptance vectors and our own rejections. The cross-check
 * against Python's `cryptography` needs Python, so it is in the integration tier
 * (test/integration/fernet-python-interop.test.ts).
 */

/** The acceptance vectors of https://github.com/fernet/spec (commit 20dead4), kept verbatim. */
const fixtures = join(__dirname, '..', 'fixtures', 'fernet');
const load = <T>(name: string): T[] => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as T[];
const generate = load<{ token: string; now: string; iv: number[]; src: string; secret: string }>('generate.json');
const verify = load<{ token: string; now: string; ttl_sec: number; src: string; secret: string }>('verify.json');
const invalid = load<{ desc: string; token: string; now: string; ttl_sec: number; secret: string }>('invalid.json');
const seconds = (iso: string) => Date.parse(iso) / 1000;

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

function rejection(fn: () => unknown): FernetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FernetError);
    return error as FernetError;
  }
  throw new Error('expected the token to be rejected');
}

describe('Fernet spec vectors', () => {
  it('generate.json: the same inputs give the published token', () => {
    expect(generate.length).toBeGreaterThan(0);
    for (const v of generate) {
      const token = fernetEncrypt(v.secret, v.src, { atSeconds: seconds(v.now), iv: Buffer.from(v.iv) });
      expect(token).toBe(v.token);
    }
  });

  it('verify.json: the published token opens to its source within its TTL', () => {
    expect(verify.length).toBeGreaterThan(0);
    for (const v of verify) {
      const plain = fernetDecrypt(v.secret, v.token, { ttlSeconds: v.ttl_sec, nowSeconds: seconds(v.now) });
      expect(plain.toString('utf8')).toBe(v.src);
    }
  });

  it('invalid.json: every published bad token is refused, each for its own reason', () => {
    const reasons: Record<string, string> = {};
    for (const v of invalid) {
      const error = rejection(() =>
        fernetDecrypt(v.secret, v.token, { ttlSeconds: v.ttl_sec, nowSeconds: seconds(v.now) }),
      );
      expect(error.code).toBe('invalid_token');
      reasons[v.desc] = error.reason;
    }
    expect(reasons).toEqual({
      'incorrect mac': 'bad_signature',
      'too short': 'malformed',
      'invalid base64': 'malformed',
      'payload size not multiple of block size': 'malformed',
      'payload padding error': 'bad_padding',
      'far-future TS (unacceptable clock skew)': 'from_the_future',
      'expired TTL': 'expired',
      'incorrect IV (causes padding error)': 'bad_padding',
    });
  });

  it('MultiFernet passes the same vectors with the spec key anywhere in the ring', () => {
    for (const v of verify) {
      const ring = new MultiFernet([generateFernetKey(), v.secret]);
      expect(ring.decrypt(v.token, { ttlSeconds: v.ttl_sec, nowSeconds: seconds(v.now) }).toString()).toBe(v.src);
    }
    for (const v of invalid) {
      const ring = new MultiFernet([v.secret, generateFernetKey()]);
      rejection(() => ring.decrypt(v.token, { ttlSeconds: v.ttl_sec, nowSeconds: seconds(v.now) }));
    }
  });
});

describe('Fernet rejections', () => {
  const key = generateFernetKey();
  const token = fernetEncrypt(key, 'credentials', { atSeconds: 2_000_000_000 });
  const bytes = () => Buffer.from(token, 'base64url');
  const spell = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

  it('a flipped bit anywhere in the token is refused', () => {
    const original = bytes();
    for (let i = 0; i < original.length; i++) {
      const tampered = Buffer.from(original);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      const error = rejection(() => fernetDecrypt(key, spell(tampered)));
      expect(error.reason).toBe(i === 0 ? 'unsupported_version' : 'bad_signature');
    }
  });

  it('truncated tokens are refused, at block boundaries and in between', () => {
    const original = bytes();
    for (const cut of [1, 16, 31, 32, 33, 48, original.length - 1]) {
      rejection(() => fernetDecrypt(key, spell(original.subarray(0, original.length - cut))));
      rejection(() => fernetDecrypt(key, token.slice(0, token.length - cut)));
    }
    rejection(() => fernetDecrypt(key, ''));
  });

  it('a token past its TTL is refused; inside it, or without a TTL, it opens', () => {
    const at = 2_000_000_000;
    expect(fernetDecrypt(key, token, { ttlSeconds: 60, nowSeconds: at + 60 }).toString()).toBe('credentials');
    expect(rejection(() => fernetDecrypt(key, token, { ttlSeconds: 60, nowSeconds: at + 61 })).reason).toBe('expired');
    expect(fernetDecrypt(key, token).toString()).toBe('credentials');
  });

  it('the TTL is measured on the injected clock by default', () => {
    const clock = new ManualClock(2_000_000_000_000);
    restore = installClock(clock);
    const fresh = fernetEncrypt(key, 'x');
    clock.advance(59_000);
    expect(fernetDecrypt(key, fresh, { ttlSeconds: 60 }).toString()).toBe('x');
    clock.advance(2_000);
    expect(rejection(() => fernetDecrypt(key, fresh, { ttlSeconds: 60 })).reason).toBe('expired');
  });

  it('a token under another key is refused, and the error names neither key nor plaintext', () => {
    const other = generateFernetKey();
    const error = rejection(() => fernetDecrypt(other, token));
    expect(error.reason).toBe('bad_signature');
    for (const text of [error.message, String(error.stack), JSON.stringify(error)]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(other);
      expect(text).not.toContain('credentials');
      expect(text).not.toContain(token);
    }
  });

  it('non-canonical or non-url-safe spellings of a valid token are refused', () => {
    const standard = Buffer.from(token, 'base64url').toString('base64');
    if (/[+/]/.test(standard)) rejection(() => fernetDecrypt(key, standard));
    rejection(() => fernetDecrypt(key, `${token} `));
    rejection(() => fernetDecrypt(key, `${token.replace(/=+$/, '')}===`));
    rejection(() => fernetDecrypt(key, `${token}\n`));
  });

  it('keys must be 32 bytes of base64url; the error does not repeat the key', () => {
    for (const bad of ['', 'short', Buffer.alloc(31).toString('base64url'), `${generateFernetKey()}AAAA`]) {
      expect(() => fernetEncrypt(bad, 'x')).toThrow(FernetKeyError);
    }
    const almost = Buffer.alloc(33, 7).toString('base64url');
    try {
      fernetDecrypt(almost, token);
    } catch (error) {
      expect((error as Error).message).not.toContain(almost);
    }
    expect(() => new MultiFernet([])).toThrow(FernetKeyError);
  });
});

describe('MultiFernet', () => {
  const primary = generateFernetKey();
  const previous = generateFernetKey();
  const ring = new MultiFernet([primary, previous]);

  it('encrypts under the primary and opens tokens of any key in the ring', () => {
    expect(fernetDecrypt(primary, ring.encrypt('new')).toString()).toBe('new');
    expect(ring.decrypt(fernetEncrypt(previous, 'old')).toString()).toBe('old');
    rejection(() => ring.decrypt(fernetEncrypt(generateFernetKey(), 'stranger')));
  });

  it('rotate rewrites an old token under the primary, keeping its timestamp; needsRotation tells them apart', () => {
    const old = fernetEncrypt(previous, 'secret', { atSeconds: 1_800_000_000 });
    expect(ring.needsRotation(old)).toBe(true);
    const rotated = ring.rotate(old);
    expect(ring.needsRotation(rotated)).toBe(false);
    expect(fernetDecrypt(primary, rotated).toString()).toBe('secret');
    expect(Buffer.from(rotated, 'base64url').readBigUInt64BE(1)).toBe(1_800_000_000n);
    rejection(() => fernetDecrypt(previous, rotated));
    rejection(() => ring.needsRotation(fernetEncrypt(generateFernetKey(), 'x')));
  });

  it('honours the TTL like a single key', () => {
    const old = fernetEncrypt(previous, 'x', { atSeconds: 100 });
    expect(rejection(() => ring.decrypt(old, { ttlSeconds: 10, nowSeconds: 111 })).reason).toBe('expired');
    expect(ring.decrypt(old, { ttlSeconds: 10, nowSeconds: 110 }).toString()).toBe('x');
  });
});
