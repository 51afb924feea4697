import { afterEach, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import {
  CachedSecretSource,
  EnvironmentSecretSource,
  type SecretSource,
  SecretUnavailableError,
} from '../../shared/secrets/secret-source';

let restore: (() => void) | undefined;
afterEach(() => restore?.());

class CountingSource implements SecretSource {
  calls = 0;
  failNext = false;
  constructor(private value: string) {}
  rotate(next: string) {
    this.value = next;
  }
  async get(name: string): Promise<string> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 5));
    if (this.failNext) {
      this.failNext = false;
      throw new SecretUnavailableError(name, 'Key Vault answered 503');
    }
    return this.value;
  }
}

describe('secret sources', () => {
  it('reads local secrets from the environment by upper snake case name', async () => {
    const source = new EnvironmentSecretSource({ CREDENTIAL_KEY: 'abc' });
    expect(await source.get('credential-key')).toBe('abc');
    const missing = await source.get('other-key').catch((e: unknown) => e as Error);
    expect(missing).toBeInstanceOf(SecretUnavailableError);
    expect((missing as Error).message).toContain('OTHER_KEY');
  });

  it('caches for the TTL with one fetch in flight, then reads again', async () => {
    const clock = new ManualClock();
    restore = installClock(clock);
    const inner = new CountingSource('v1');
    const cached = new CachedSecretSource(inner, 60_000);
    const values = await Promise.all(Array.from({ length: 10 }, () => cached.get('k')));
    expect(values).toEqual(Array(10).fill('v1'));
    expect(inner.calls).toBe(1);
    inner.rotate('v2');
    clock.advance(59_000);
    expect(await cached.get('k')).toBe('v1');
    clock.advance(2_000);
    expect(await cached.get('k')).toBe('v2');
    expect(inner.calls).toBe(2);
  });

  it('does not cache a failure, and names the secret but never a value', async () => {
    const inner = new CountingSource('s3cret-value');
    inner.failNext = true;
    const cached = new CachedSecretSource(inner);
    const error = (await cached.get('credential-key').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error.message).toContain('credential-key');
    expect(error.message).not.toContain('s3cret-value');
    expect(await cached.get('credential-key')).toBe('s3cret-value');
  });
});
