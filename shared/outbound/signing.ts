import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signing secrets and signatures of outbound deliveries (docs/design.md §10.4).
 *
 * - A secret is `whsec_<base64 of 32 random bytes>`.
 * - Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`
 *   keyed with the *decoded* secret bytes, as the spec and the standardwebhooks package do (the tests
 *   verify with that package; node:crypto signs here because the package hashes in JavaScript, which
 *   halved the sender's throughput in bench/outbound); during a rotation one `v1,` entry per valid
 *   secret, space-separated, newest first.
 * - `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with the whole secret
 *   string as shown (UTF-8), as GitHub-style receivers expect; always the current secret.
 */
export const SECRET_PREFIX = 'whsec_';

export function generateSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export function isSigningSecret(value: string): boolean {
  if (!value.startsWith(SECRET_PREFIX)) return false;
  return Buffer.from(value.slice(SECRET_PREFIX.length), 'base64').length === 32;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'X-Webhook-Signature': string;
}

/**
 * The signature headers for one attempt. `secrets` are the valid secrets, current first; the
 * timestamp is whole seconds (Standard Webhooks), taken from the injected clock by the caller.
 */
export function signDelivery(input: {
  id: string;
  timestampMs: number;
  body: string;
  secrets: readonly [string, ...string[]];
}): SignedHeaders {
  const at = new Date(Math.floor(input.timestampMs / 1000) * 1000);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const standard = input.secrets.map((secret) => standardSignature(secret, input.id, timestamp, input.body));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': standard.join(' '),
    'X-Webhook-Signature': `sha256=${bodySignatureHex(input.secrets[0], input.body)}`,
  };
}

/** The GitHub-style body signature: hex HMAC-SHA256 of the raw body keyed with the secret string. */
export function bodySignatureHex(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest('hex');
}

/** `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}` keyed with the decoded secret bytes. */
export function standardSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}
