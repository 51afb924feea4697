import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretsEqual } from '../crypto/constant-time';

/**
 * Inbound signature schemes (issue 12 §2, DESIGN §9.6–9.7). Each verifier takes the raw body and
 * the secrets that verify now (current, and the previous one during a rotation's grace period) and
 * answers `ok` or the rejection code. Every comparison is constant-time.
 */
export type RejectionCode =
  | 'signature_missing'
  | 'signature_invalid'
  | 'timestamp_out_of_range'
  | 'client_state_mismatch';

export type Verdict =
  | { ok: true; scheme: Scheme; deliveryId?: string }
  | { ok: false; code: RejectionCode; detail: string };

export type Scheme = 'autotask' | 'graph' | 'standard-webhooks' | 'sha256' | 'basic';

export interface Headers {
  get(name: string): string | null;
}

function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The escaped form Autotask's own samples hash: `/` as `\/` and every non-ASCII UTF-16 unit as
 * `\uXXXX` (VENDORS.md). Tried in lower- and upper-case hex, after the raw body.
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

/** Autotask: `X-Hook-Signature: sha1=<base64 HMAC-SHA1(secret, body)>`. */
export function verifyAutotask(headers: Headers, body: string, secrets: string[]): Verdict {
  const header = headers.get('x-hook-signature');
  if (!header) return { ok: false, code: 'signature_missing', detail: 'X-Hook-Signature header is missing.' };
  const match = /^sha1=([A-Za-z0-9+/=]+)$/.exec(header.trim());
  if (!match) return { ok: false, code: 'signature_invalid', detail: 'X-Hook-Signature is not sha1=<base64>.' };
  const presented = Buffer.from(match[1]!, 'base64');
  const candidates = [body, ...autotaskEscapedForms(body)];
  let ok = false;
  for (const secret of secrets) {
    for (const text of candidates) {
      // Every candidate is computed and compared, so timing does not tell which one matched.
      ok = bytesEqual(createHmac('sha1', secret).update(text, 'utf8').digest(), presented) || ok;
    }
  }
  return ok
    ? { ok: true, scheme: 'autotask' }
    : { ok: false, code: 'signature_invalid', detail: 'X-Hook-Signature does not match the body.' };
}

/** `X-Webhook-Signature: sha256=<hex>`: HMAC-SHA256 keyed with the whole secret string (UTF-8). */
export function verifySha256(headers: Headers, body: string, secrets: string[]): Verdict {
  const header = headers.get('x-webhook-signature');
  if (!header) return { ok: false, code: 'signature_missing', detail: 'X-Webhook-Signature header is missing.' };
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return { ok: false, code: 'signature_invalid', detail: 'X-Webhook-Signature is not sha256=<hex>.' };
  const presented = Buffer.from(match[1]!, 'hex');
  let ok = false;
  for (const secret of secrets) {
    ok = bytesEqual(createHmac('sha256', secret).update(body, 'utf8').digest(), presented) || ok;
  }
  const deliveryId = headers.get('x-webhook-id') ?? undefined;
  return ok
    ? { ok: true, scheme: 'sha256', ...(deliveryId ? { deliveryId } : {}) }
    : { ok: false, code: 'signature_invalid', detail: 'X-Webhook-Signature does not match the body.' };
}

/** The key bytes of a `whsec_` secret (Standard Webhooks signs with the decoded bytes). */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * Standard Webhooks: `webhook-id`, `webhook-timestamp` (Unix seconds, within the tolerance of the
 * hub clock) and `webhook-signature: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>` — the header
 * may list several space-separated signatures; any v1 match verifies.
 */
export function verifyStandardWebhooks(
  headers: Headers,
  body: string,
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
  if (!/^\d{1,12}$/.test(timestamp.trim())) {
    return { ok: false, code: 'timestamp_out_of_range', detail: 'webhook-timestamp is not Unix seconds.' };
  }
  const skew = Math.abs(nowMs / 1000 - Number(timestamp.trim()));
  if (skew > toleranceSeconds) {
    return {
      ok: false,
      code: 'timestamp_out_of_range',
      detail: `webhook-timestamp is ${Math.round(skew)} s from the hub clock; at most ${toleranceSeconds} s is accepted.`,
    };
  }
  const presented = signature
    .split(' ')
    .map((part) => /^v1,([A-Za-z0-9+/=]+)$/.exec(part.trim())?.[1])
    .filter((b64): b64 is string => b64 !== undefined)
    .map((b64) => Buffer.from(b64, 'base64'));
  if (presented.length === 0) {
    return { ok: false, code: 'signature_invalid', detail: 'webhook-signature has no v1,<base64> signature.' };
  }
  const signed = `${id}.${timestamp.trim()}.${body}`;
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', standardWebhooksKey(secret)).update(signed, 'utf8').digest();
    for (const candidate of presented) ok = bytesEqual(expected, candidate) || ok;
  }
  return ok
    ? { ok: true, scheme: 'standard-webhooks', deliveryId: id }
    : { ok: false, code: 'signature_invalid', detail: 'webhook-signature does not match.' };
}

/**
 * Graph change notifications carry our `clientState` in every item of `value`; all must match.
 * (The subscription-time `validationToken` handshake is answered before this is called.)
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
 * Which scheme a source's deliveries use. Autotask and Graph have their own; every other sender
 * signs with our secret, Standard Webhooks when it sends `webhook-signature`, else `sha256=`.
 */
/**
 * Halo PSA webhooks authenticate with Basic credentials (it signs nothing): the password must be the
 * webhook secret, the user name is free. Weaker than an HMAC (the body is not covered; TLS is what
 * protects it), so it is accepted for `halopsa` sources only, where the push sets it up.
 */
export function verifyBasicPassword(headers: Headers, secrets: string[]): Verdict {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec((headers.get('authorization') ?? '').trim());
  if (!match) return { ok: false, code: 'signature_invalid', detail: 'Authorization is not Basic credentials.' };
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  let ok = false;
  for (const secret of secrets) ok = secretsEqual(password, secret) || ok;
  return ok
    ? { ok: true, scheme: 'basic' }
    : { ok: false, code: 'signature_invalid', detail: 'The Basic password is not the webhook secret.' };
}

export function verifyDelivery(
  source: string,
  headers: Headers,
  body: string,
  parsed: unknown,
  secrets: string[],
  nowMs: number,
  toleranceSeconds: number,
): Verdict {
  if (source === 'autotask') return verifyAutotask(headers, body, secrets);
  if (source === 'microsoft365') return verifyGraphClientState(parsed, secrets);
  if (source === 'halopsa' && (headers.get('authorization') ?? '').startsWith('Basic ')) {
    return verifyBasicPassword(headers, secrets);
  }
  if (headers.get('webhook-signature') !== null || headers.get('webhook-id') !== null) {
    return verifyStandardWebhooks(headers, body, secrets, nowMs, toleranceSeconds);
  }
  return verifySha256(headers, body, secrets);
}
