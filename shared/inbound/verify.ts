import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { secretsEqual } from '../crypto/constant-time';

/**
 * Inbound signature schemes (docs/webhooks-receiving.md). Each verifier takes the body exactly as
 * received (bytes, never re-encoded text: a lossy decode would let two different byte strings
 * verify with one signature) and the secrets that verify now (current, and the previous one during
 * a rotation's grace period), and answers `ok` or the rejection code. Every comparison is
 * constant-time. A header that is not exactly the scheme's shape — junk after base64 padding, a hex
 * digest of the wrong length, a header sent twice (joined with ", "), Basic credentials without a
 * colon — is `signature_malformed`, never tolerated.
 */
export type RejectionCode =
  | 'signature_missing'
  | 'signature_invalid'
  | 'signature_malformed'
  | 'timestamp_out_of_range'
  | 'client_state_mismatch';

/**
 * `signedSha256`: the SHA-256 (hex) of the exact bytes the matching signature covers, for schemes
 * that sign the body. Receive deduplicates on it (or on a signed id), so a captured delivery sent
 * again with other unsigned headers, or re-encoded into other bytes the same signature covers, is
 * the same delivery.
 */
export type Verdict =
  | { ok: true; scheme: Scheme; deliveryId?: string; signedSha256?: string }
  | { ok: false; code: RejectionCode; detail: string };

export type Scheme = 'autotask' | 'graph' | 'standard-webhooks' | 'sha256' | 'basic' | 'static-authorization';

export interface Headers {
  get(name: string): string | null;
}

function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const malformed = (detail: string): Verdict => ({ ok: false, code: 'signature_malformed', detail });

/**
 * The bytes of canonical, padded base64 (of exactly `bytes` bytes when given), or undefined. Node's decoder stops at the
 * first `=` and skips characters outside the alphabet, so without this a valid signature followed
 * by junk would still verify.
 */
export function strictBase64(text: string, bytes?: number): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64');
  if (bytes !== undefined && decoded.length !== bytes) return undefined;
  return decoded.toString('base64') === text ? decoded : undefined;
}

/** The body as text when it is valid UTF-8, else undefined (no lossy decode). */
function utf8OrUndefined(body: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return undefined;
  }
}

/**
 * The escaped form Autotask's own samples hash: `/` as `\/` and every non-ASCII UTF-16 unit as
 * `\uXXXX`. Tried in lower- and upper-case hex, after the raw body.
 */
export function autotaskEscapedForms(body: string): string[] {
  const escaped = (upper: boolean) =>
    body.replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (ch) => {
      const hex = ch.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    });
  const forms = [escaped(false), escaped(true)];
  return [...new Set(forms)].filter((f) => f !== body);
}

/**
 * Autotask: `X-Hook-Signature: sha1=<base64 HMAC-SHA1(secret, body)>`, over the raw bytes or (for a
 * body that is valid UTF-8) one of its escaped forms. The escaped forms are derived from the text,
 * so a raw body and its escaped twin verify with one signature: `signedSha256` names the form that
 * matched, so both are one delivery.
 */
export function verifyAutotask(headers: Headers, body: Uint8Array, secrets: string[]): Verdict {
  const header = headers.get('x-hook-signature');
  if (!header) return { ok: false, code: 'signature_missing', detail: 'X-Hook-Signature header is missing.' };
  const b64 = /^sha1=(\S+)$/.exec(header.trim())?.[1];
  const presented = b64 === undefined ? undefined : strictBase64(b64, 20);
  if (!presented) return malformed('X-Hook-Signature is not one sha1=<base64 of 20 bytes>.');
  const text = utf8OrUndefined(body);
  const candidates: Buffer[] = [
    Buffer.from(body),
    ...(text === undefined ? [] : autotaskEscapedForms(text).map((form) => Buffer.from(form, 'utf8'))),
  ];
  let matched: Buffer | undefined;
  for (const secret of secrets) {
    for (const candidate of candidates) {
      // Every candidate is computed and compared, so timing does not tell which one matched.
      const ok = bytesEqual(createHmac('sha1', secret).update(candidate).digest(), presented);
      if (ok && !matched) matched = candidate;
    }
  }
  return matched
    ? { ok: true, scheme: 'autotask', signedSha256: sha256Hex(matched) }
    : { ok: false, code: 'signature_invalid', detail: 'X-Hook-Signature does not match the body.' };
}

/**
 * `X-Webhook-Signature: sha256=<hex>`: HMAC-SHA256 over the raw bytes, keyed with the whole secret
 * string (UTF-8). `X-Webhook-Id` is not signed, so it only labels the delivery: dedup is on the
 * signed bytes (a captured delivery re-sent with another id, or none, is the same delivery).
 */
export function verifySha256(headers: Headers, body: Uint8Array, secrets: string[]): Verdict {
  const header = headers.get('x-webhook-signature');
  if (!header) return { ok: false, code: 'signature_missing', detail: 'X-Webhook-Signature header is missing.' };
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return malformed('X-Webhook-Signature is not one sha256=<64 hex digits>.');
  const presented = Buffer.from(match[1]!, 'hex');
  let ok = false;
  for (const secret of secrets) {
    ok = bytesEqual(createHmac('sha256', secret).update(body).digest(), presented) || ok;
  }
  return ok
    ? { ok: true, scheme: 'sha256', signedSha256: sha256Hex(body) }
    : { ok: false, code: 'signature_invalid', detail: 'X-Webhook-Signature does not match the body.' };
}

/** The key bytes of a `whsec_` secret (Standard Webhooks signs with the decoded bytes). */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * Standard Webhooks: `webhook-id`, `webhook-timestamp` (Unix seconds, within the tolerance of the
 * hub clock) and `webhook-signature`: space-separated `<version>,<signature>` entries; any `v1`
 * entry (base64 HMAC-SHA256(key, id.timestamp.body)) that matches verifies, other versions are
 * skipped. An entry of another shape (a duplicated header joins with ", ") is malformed.
 */
export function verifyStandardWebhooks(
  headers: Headers,
  body: Uint8Array,
  secrets: string[],
  nowMs: number,
  toleranceSeconds: number,
): Verdict {
  const id = headers.get('webhook-id');
  const timestamp = headers.get('webhook-timestamp');
  const signature = headers.get('webhook-signature');
  if (!id || !timestamp || !signature) {
    return {
      ok: false,
      code: 'signature_missing',
      detail: 'webhook-id, webhook-timestamp and webhook-signature are all required.',
    };
  }
  if (!/^\d{1,12}$/.test(timestamp.trim())) return malformed('webhook-timestamp is not one Unix time in seconds.');
  const skew = Math.abs(nowMs / 1000 - Number(timestamp.trim()));
  if (skew > toleranceSeconds) {
    return {
      ok: false,
      code: 'timestamp_out_of_range',
      detail: `webhook-timestamp is ${Math.round(skew)} s from the hub clock; at most ${toleranceSeconds} s is accepted.`,
    };
  }
  const presented: Buffer[] = [];
  for (const entry of signature.trim().split(' ')) {
    const parts = /^(v[0-9]+[a-z]*),(\S+)$/.exec(entry);
    if (!parts) return malformed('webhook-signature is not space-separated <version>,<signature> entries.');
    if (parts[1] !== 'v1') continue;
    const decoded = strictBase64(parts[2]!, 32);
    if (!decoded) return malformed('a v1 entry of webhook-signature is not the base64 of 32 bytes.');
    presented.push(decoded);
  }
  if (presented.length === 0) {
    return { ok: false, code: 'signature_invalid', detail: 'webhook-signature has no v1,<base64> signature.' };
  }
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp.trim()}.`, 'utf8'), body]);
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', standardWebhooksKey(secret)).update(signed).digest();
    for (const candidate of presented) ok = bytesEqual(expected, candidate) || ok;
  }
  return ok
    ? { ok: true, scheme: 'standard-webhooks', deliveryId: id, signedSha256: sha256Hex(body) }
    : { ok: false, code: 'signature_invalid', detail: 'webhook-signature does not match.' };
}

/**
 * Graph change notifications carry our `clientState` in every item of `value`; all must match.
 * (The subscription-time `validationToken` handshake is answered before this is called.) Nothing
 * is signed: the clientState is a bearer secret, which is why receive never stores it.
 */
export function verifyGraphClientState(parsed: unknown, secrets: string[]): Verdict {
  const items =
    typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { value?: unknown }).value)
      ? ((parsed as { value: unknown[] }).value as Array<{ clientState?: unknown }>)
      : undefined;
  if (!items || items.length === 0) {
    return { ok: false, code: 'client_state_mismatch', detail: 'The body has no notifications with a clientState.' };
  }
  for (const item of items) {
    const state = typeof item?.clientState === 'string' ? item.clientState : '';
    let ok = false;
    for (const secret of secrets) ok = secretsEqual(state, secret) || ok;
    if (!ok) return { ok: false, code: 'client_state_mismatch', detail: 'A notification carries a wrong clientState.' };
  }
  return { ok: true, scheme: 'graph' };
}

/**
 * Halo PSA webhooks authenticate with Basic credentials (it signs nothing): the password must be the
 * webhook secret, the user name is free. Weaker than an HMAC (the body is not covered; TLS is what
 * protects it), so it is accepted for `halopsa` sources only, where the push sets it up.
 */
export function verifyBasicPassword(headers: Headers, secrets: string[]): Verdict {
  const b64 = /^Basic (\S+)$/.exec((headers.get('authorization') ?? '').trim())?.[1];
  const decodedBytes = b64 === undefined ? undefined : strictBase64(b64);
  const decoded = decodedBytes === undefined ? undefined : utf8OrUndefined(decodedBytes);
  if (decoded === undefined) return malformed('Authorization is not one set of Basic credentials in base64.');
  const colon = decoded.indexOf(':');
  if (colon < 0) return malformed('The Basic credentials have no colon between user name and password.');
  const password = decoded.slice(colon + 1);
  let ok = false;
  for (const secret of secrets) ok = secretsEqual(password, secret) || ok;
  return ok
    ? { ok: true, scheme: 'basic' }
    : { ok: false, code: 'signature_invalid', detail: 'The Basic password is not the webhook secret.' };
}

/**
 * Pax8 signs nothing: a webhook carries the static `Authorization` value it was created with
 * (`CreateWebhook.authorization`), which is the webhook secret. The whole header must be the
 * secret (compared in constant time); like Basic it covers no body, so it is accepted for `pax8`
 * sources only.
 */
export function verifyStaticAuthorization(headers: Headers, secrets: string[]): Verdict {
  const presented = headers.get('authorization');
  if (presented === null || presented === '') {
    return { ok: false, code: 'signature_missing', detail: 'Authorization header is missing.' };
  }
  if (presented.includes(', ')) return malformed('Authorization was sent more than once.');
  let ok = false;
  for (const secret of secrets) ok = secretsEqual(presented, secret) || ok;
  return ok
    ? { ok: true, scheme: 'static-authorization' }
    : { ok: false, code: 'signature_invalid', detail: 'Authorization is not the webhook secret.' };
}

/**
 * Which scheme a source's deliveries use. Autotask and Graph have their own, Halo may use Basic;
 * every other sender signs with our secret, Standard Webhooks when it sends `webhook-signature`,
 * else `sha256=`.
 */
export function verifyDelivery(
  source: string,
  headers: Headers,
  body: Uint8Array,
  parsed: unknown,
  secrets: string[],
  nowMs: number,
  toleranceSeconds: number,
): Verdict {
  if (source === 'autotask') return verifyAutotask(headers, body, secrets);
  if (source === 'microsoft365') return verifyGraphClientState(parsed, secrets);
  if (source === 'pax8' && headers.get('authorization') !== null && headers.get('webhook-signature') === null) {
    return verifyStaticAuthorization(headers, secrets);
  }
  if (source === 'halopsa' && (headers.get('authorization') ?? '').startsWith('Basic ')) {
    return verifyBasicPassword(headers, secrets);
  }
  if (headers.get('webhook-signature') !== null || headers.get('webhook-id') !== null) {
    return verifyStandardWebhooks(headers, body, secrets, nowMs, toleranceSeconds);
  }
  return verifySha256(headers, body, secrets);
}
