import { createHash } from 'node:crypto';
import { nowMs } from '../../clock';

/** What a token endpoint gave us. */
export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

interface Entry {
  token: string;
  /** When we stop using it (expiry minus the refresh margin), epoch ms from shared/clock. */
  refreshAtMs: number;
}

export interface TokenCacheOptions {
  /** Refresh this fraction of the lifetime before expiry (default 10%). */
  marginFraction?: number;
  /** ...but at least this long before expiry (default 60 s), capped at half the lifetime. */
  minMarginMs?: number;
  /** Entries beyond this are pruned, expired ones first (default 5000). */
  maxEntries?: number;
}

/**
 * Per-process cache of vendor access tokens (and other short-lived lookups such as the Autotask
 * zone). One refresh at a time per key: concurrent callers share the same in-flight fetch, so a
 * burst of pipeline steps never stampedes a vendor's token endpoint. Tokens are replaced before
 * they expire, by the injected clock. A failed fetch is not cached: the next call tries again.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly marginFraction: number;
  private readonly minMarginMs: number;
  private readonly maxEntries: number;

  constructor(options: TokenCacheOptions = {}) {
    this.marginFraction = options.marginFraction ?? 0.1;
    this.minMarginMs = options.minMarginMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 5000;
  }

  async getToken(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    const cached = this.entries.get(key);
    if (cached && nowMs() < cached.refreshAtMs) return cached.token;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const started = this.refresh(key, fetch);
    this.inFlight.set(key, started);
    try {
      return await started;
    } finally {
      if (this.inFlight.get(key) === started) this.inFlight.delete(key);
    }
  }

  /** Forget a token (after a 401 with it, or when credentials change). */
  invalidate(key: string): void {
    this.entries.delete(key);
  }

  /** Forget every token whose key starts with the prefix (e.g. an integration id). */
  invalidatePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private async refresh(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    const issued = await fetch();
    const lifetimeMs = Math.max(0, issued.expiresInSeconds) * 1000;
    const marginMs = Math.min(lifetimeMs / 2, Math.max(this.minMarginMs, lifetimeMs * this.marginFraction));
    this.entries.set(key, { token: issued.token, refreshAtMs: nowMs() + lifetimeMs - marginMs });
    this.prune();
    return issued.token;
  }

  private prune(): void {
    if (this.entries.size <= this.maxEntries) return;
    const at = nowMs();
    for (const [key, entry] of this.entries) if (entry.refreshAtMs <= at) this.entries.delete(key);
    // Still too many: drop the oldest insertions (Map keeps insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

/** The process-wide cache connectors use unless a test hands them their own. */
export const vendorTokens = new TokenCache();

/**
 * A cache key for one integration's credentials: the integration id plus a digest of the
 * credentials (never the secret itself), so changed credentials never reuse an old token.
 */
export function tokenCacheKey(integrationId: string, purpose: string, credentials: unknown): string {
  return `${integrationId}:${purpose}:${credentialDigest(credentials)}`;
}

/** SHA-256 of the credentials' canonical JSON (keys sorted), shortened; not reversible. */
export function credentialDigest(credentials: unknown): string {
  return createHash('sha256').update(canonicalJson(credentials)).digest('hex').slice(0, 32);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
