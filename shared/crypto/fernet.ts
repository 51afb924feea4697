import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { nowMs } from '../clock';

/**
 * Fernet (https://github.com/fernet/spec, version 0x80) on node:crypto: AES-128-CBC with PKCS#7
 * padding, then HMAC-SHA256 over version ‖ timestamp ‖ IV ‖ ciphertext, all base64url. Tokens are
 * interchangeable with Python's `cryptography.fernet`, which is what the tests check against.
 *
 * Errors never carry key material, plaintext or the token itself: a FernetError says only that the
 * token is not acceptable, and `reason` (for logs and tests) says which check refused it.
 */

const VERSION = 0x80;
const HEADER_BYTES = 1 + 8 + 16;
const HMAC_BYTES = 32;
const BLOCK_BYTES = 16;
/** Python's cryptography refuses tokens stamped further ahead than this when a TTL is checked. */
const MAX_CLOCK_SKEW_SECONDS = 60;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export type FernetRejection =
  | 'malformed'
  | 'unsupported_version'
  | 'bad_signature'
  | 'expired'
  | 'from_the_future'
  | 'bad_padding';

/** A token that does not decode, verify or decrypt under the given key(s). */
export class FernetError extends Error {
  readonly code = 'invalid_token';
  constructor(readonly reason: FernetRejection) {
    super(`Fernet token rejected (${reason})`);
    this.name = 'FernetError';
  }
}

/** A key that is not the base64url encoding of 32 bytes. The message never repeats the key. */
export class FernetKeyError extends Error {
  readonly code = 'invalid_key';
  constructor(detail: string) {
    super(`Fernet key is not valid: ${detail}`);
    this.name = 'FernetKeyError';
  }
}

interface KeyParts {
  signing: Buffer;
  encryption: Buffer;
}

/** A new random key in the spec's format (for the example settings and rotation). */
export function generateFernetKey(): string {
  return encodePadded(randomBytes(32));
}

/** base64url with padding: the spelling Python writes and expects. */
function encodePadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export function isValidFernetKey(key: string): boolean {
  try {
    splitKey(key);
    return true;
  } catch {
    return false;
  }
}

function splitKey(key: string): KeyParts {
  const bytes = decodeBase64url(key.trim());
  if (bytes?.length !== 32) throw new FernetKeyError('expected the base64url encoding of 32 bytes');
  return { signing: bytes.subarray(0, 16), encryption: bytes.subarray(16) };
}

/**
 * Strict base64url: only the URL-safe alphabet, optional padding, and canonical (re-encoding gives
 * the same text), so one token has exactly one spelling. Node's own decoder silently skips junk.
 */
function decodeBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  const padding = (4 - (unpadded.length % 4)) % 4;
  if (text.length !== unpadded.length && text.length !== unpadded.length + padding) return undefined;
  const bytes = Buffer.from(unpadded, 'base64url');
  if (bytes.toString('base64url') !== unpadded) return undefined;
  return bytes;
}

function nowSeconds(): number {
  return Math.floor(nowMs() / 1000);
}

function sign(signingKey: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', signingKey).update(data).digest();
}

function encryptWith(
  parts: KeyParts,
  plaintext: Buffer | string,
  opts: { atSeconds?: number; iv?: Buffer } = {},
): string {
  const iv = opts.iv ?? randomBytes(16);
  if (iv.length !== 16) throw new RangeError('a Fernet IV is 16 bytes');
  const at = opts.atSeconds ?? nowSeconds();
  if (!Number.isSafeInteger(at) || at < 0) throw new RangeError('a Fernet timestamp is a non-negative whole second');
  const message = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const cipher = createCipheriv('aes-128-cbc', parts.encryption, iv);
  const ciphertext = Buffer.concat([cipher.update(message), cipher.final()]);
  const header = Buffer.alloc(9);
  header.writeUInt8(VERSION, 0);
  header.writeBigUInt64BE(BigInt(at), 1);
  const signed = Buffer.concat([header, iv, ciphertext]);
  return encodePadded(Buffer.concat([signed, sign(parts.signing, signed)]));
}

interface ParsedToken {
  signed: Buffer;
  mac: Buffer;
  timestamp: number;
  iv: Buffer;
  ciphertext: Buffer;
}

function parseToken(token: string): ParsedToken {
  const bytes = decodeBase64url(token);
  if (!bytes || bytes.length < HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES) throw new FernetError('malformed');
  if (bytes[0] !== VERSION) throw new FernetError('unsupported_version');
  const ciphertext = bytes.subarray(HEADER_BYTES, bytes.length - HMAC_BYTES);
  if (ciphertext.length % BLOCK_BYTES !== 0) throw new FernetError('malformed');
  const stamp = bytes.readBigUInt64BE(1);
  return {
    signed: bytes.subarray(0, bytes.length - HMAC_BYTES),
    mac: bytes.subarray(bytes.length - HMAC_BYTES),
    // Beyond 2^53 s the token is absurdly far in the future; Infinity fails every TTL check.
    timestamp: stamp > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(stamp),
    iv: bytes.subarray(9, HEADER_BYTES),
    ciphertext,
  };
}

function signedBy(parts: KeyParts, token: ParsedToken): boolean {
  return timingSafeEqual(sign(parts.signing, token.signed), token.mac);
}

function checkAge(token: ParsedToken, opts: { ttlSeconds?: number; nowSeconds?: number }): void {
  if (opts.ttlSeconds === undefined) return;
  const now = opts.nowSeconds ?? nowSeconds();
  if (token.timestamp + opts.ttlSeconds < now) throw new FernetError('expired');
  if (now + MAX_CLOCK_SKEW_SECONDS < token.timestamp) throw new FernetError('from_the_future');
}

function decryptVerified(parts: KeyParts, token: ParsedToken): Buffer {
  try {
    const decipher = createDecipheriv('aes-128-cbc', parts.encryption, token.iv);
    return Buffer.concat([decipher.update(token.ciphertext), decipher.final()]);
  } catch {
    // OpenSSL's "bad decrypt" is all there is to say; no cause, so nothing else can leak.
    throw new FernetError('bad_padding');
  }
}

/** Encrypt under one key; `atSeconds` and `iv` exist for the spec's deterministic vectors. */
export function fernetEncrypt(
  key: string,
  plaintext: Buffer | string,
  opts: { atSeconds?: number; iv?: Buffer } = {},
): string {
  return encryptWith(splitKey(key), plaintext, opts);
}

/**
 * Verify and decrypt under one key. With `ttlSeconds`, tokens older than that (or stamped more than
 * 60 s ahead of now) are refused, as in the spec and Python; without it the age is not checked.
 */
export function fernetDecrypt(
  key: string,
  token: string,
  opts: { ttlSeconds?: number; nowSeconds?: number } = {},
): Buffer {
  const parts = splitKey(key);
  const parsed = parseToken(token);
  if (!signedBy(parts, parsed)) throw new FernetError('bad_signature');
  checkAge(parsed, opts);
  return decryptVerified(parts, parsed);
}

/**
 * Several keys, the first one primary (MultiFernet): encrypts under the primary, decrypts under any,
 * and rewrites old tokens under the primary keeping their original timestamp (as Python does), so a
 * TTL keeps meaning "since the secret was stored".
 */
export class MultiFernet {
  private readonly keys: KeyParts[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new FernetKeyError('at least one key is needed');
    this.keys = keys.map(splitKey);
  }

  encrypt(plaintext: Buffer | string, opts: { atSeconds?: number; iv?: Buffer } = {}): string {
    return encryptWith(this.primary, plaintext, opts);
  }

  decrypt(token: string, opts: { ttlSeconds?: number; nowSeconds?: number } = {}): Buffer {
    const parsed = parseToken(token);
    const parts = this.keyFor(parsed);
    checkAge(parsed, opts);
    return decryptVerified(parts, parsed);
  }

  /** The same plaintext and timestamp under the primary key. Refuses tokens no key opens. */
  rotate(token: string): string {
    const parsed = parseToken(token);
    const plaintext = decryptVerified(this.keyFor(parsed), parsed);
    try {
      return encryptWith(this.primary, plaintext, { atSeconds: parsed.timestamp });
    } finally {
      plaintext.fill(0);
    }
  }

  /** true when the token is not under the primary key (FernetError when no key opens it). */
  needsRotation(token: string): boolean {
    const parsed = parseToken(token);
    return this.keyFor(parsed) !== this.primary;
  }

  private get primary(): KeyParts {
    return this.keys[0]!;
  }

  private keyFor(token: ParsedToken): KeyParts {
    // Every key is tried, so the time taken does not reveal which one matched.
    let match: KeyParts | undefined;
    for (const parts of this.keys) {
      if (signedBy(parts, token) && !match) match = parts;
    }
    if (!match) throw new FernetError('bad_signature');
    return match;
  }
}
