import { createHash, randomBytes } from 'node:crypto';

/**
 * PKCE (RFC 7636) and the state value of one authorisation. The verifier stays with the hub; only
 * its S256 challenge goes to the browser, so a code intercepted on the way back is useless.
 */

/** 32 random bytes, base64url: 43 characters, inside RFC 7636's 43–128 and its unreserved alphabet. */
export function newCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** `BASE64URL(SHA256(ASCII(code_verifier)))`, RFC 7636 §4.2. */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The `state` parameter: unguessable, single-use, and the only thing the anonymous callback trusts. */
export function newState(): string {
  return randomBytes(32).toString('base64url');
}

/** What the state table is keyed by: a hash, so the stored key is not the value the browser carries. */
export function stateKey(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}
