import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Signing secrets and signatures of outbound deliveries (DESIGN §9.7).
 *
 * - A secret is `whsec_<base64 of 32 random bytes>`.
 * - Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`
 *   keyed with the *decoded* secret bytes (the standardwebhooks package does exactly this); during a
 *   rotation one `v1,` entry per valid secret, space-separated, newest first.
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
  const standard = input.secrets.map((secret) => new Webhook(secret).sign(input.id, at, input.body));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': standard.join(' '),
    'X-Webhook-Signature': `sha256=${bodySignatureHex(input.secrets[0], input.body)}`,
  };
}

/** The GitHub-style body signature: hex HMAC-SHA256 of the raw body keyed with the secret string. */
export function bodySignatureHex(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest('hex');
}
