import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedAuthThrottle } from '../../shared/api/failed-auth-throttle';
import { UnauthorizedError } from '../../shared/apikeys/errors';
import { installClock, ManualClock } from '../../shared/clock';
import { DomainError } from '../../shared/errors/domain-error';
import { addressBucket, clientAddress, UNATTRIBUTED_BUCKET } from '../../shared/http/client-address';

const headers = (xff: string | null) => ({ get: (name: string) => (name === 'x-forwarded-for' ? xff : null) });

describe('client address', () => {
  it('takes the last X-Forwarded-For entry, the one our edge appended, without its port', () => {
    expect(clientAddress(headers('203.0.113.7'))).toBe('203.0.113.7');
    expect(clientAddress(headers('203.0.113.7:51234'))).toBe('203.0.113.7');
    expect(clientAddress(headers('10.0.0.1, 198.51.100.9, 203.0.113.7:443'))).toBe('203.0.113.7');
  });

  it('buckets IPv6 by /64 and unwraps IPv4-mapped addresses', () => {
    expect(clientAddress(headers('[2001:db8:aa:bb:1:2:3:4]:443'))).toBe('2001:db8:aa:bb::/64');
    expect(addressBucket('2001:db8:aa:bb:ffff:ffff:ffff:ffff')).toBe('2001:db8:aa:bb::/64');
    expect(addressBucket('2001:0db8:00aa::1')).toBe('2001:db8:aa:0::/64');
    expect(addressBucket('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('reads only the right-most entry, so a long or hostile prefix cannot move a client to another bucket', () => {
    // Before: anything over 2 KiB became one shared "unknown" bucket with a fresh allowance.
    const long = `${'10.0.0.1, '.repeat(2000)}garbage, 198.51.100.4`;
    expect(long.length).toBeGreaterThan(20_000);
    expect(clientAddress(headers(`${long}, 203.0.113.7:51234`))).toBe('203.0.113.7');
    expect(clientAddress(headers(`${'x'.repeat(100_000)}, 203.0.113.7`))).toBe('203.0.113.7');
    expect(clientAddress(headers('<script>, [2001:db8::1]:443'))).toBe('2001:db8:0:0::/64');
  });

  it('puts a request whose right-most entry is missing or unparseable in one shared bucket: never a fresh bucket per value', () => {
    // Behind the platform edge a client cannot reach this bucket: the edge's parseable entry is always last.
    const hostile = [
      null,
      '',
      ',,,',
      'unknown',
      '999.1.1.1',
      '1.2.3.4:99999999',
      '[::1',
      'a'.repeat(5000),
      '1.2.3.4, <script>',
      '1.2.3.4,',
      `[${'0:'.repeat(40)}1]:443`,
    ];
    for (const value of hostile) {
      expect(clientAddress(headers(value)), String(value)).toBe(UNATTRIBUTED_BUCKET);
    }
    const throwing = {
      get: () => {
        throw new Error('broken header map');
      },
    };
    expect(clientAddress(throwing)).toBe(UNATTRIBUTED_BUCKET);
  });
});

describe('failed authentication throttle', () => {
  let clock: ManualClock;
  let restore: () => void;
  beforeEach(() => {
    clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    restore = installClock(clock);
  });
  afterEach(() => restore());

  const limits = { perAddress: 3, perKeyId: 2, windowMs: 60_000, maxSubjects: 100 };

  const invalid = () => new UnauthorizedError('api_key_invalid', 'The API key is not valid.');
  const rejects = (error: unknown) => async () => {
    throw error;
  };
  const passes = async () => 'principal';
  /** The status an attempt would be answered with: 200 for success, else the error's code. */
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
    );

  it('refuses an address after its failures, until the window ends, with Retry-After', async () => {
    const throttle = new FailedAuthThrottle(limits);
    const subjects = { address: '203.0.113.7' };
    for (let i = 0; i < 3; i++)
      expect(await outcome(throttle.authenticate(subjects, rejects(invalid())))).toBe('api_key_invalid');
    clock.advance(20_000);
    let attempted = false;
    const refused = await throttle
      .authenticate(subjects, async () => {
        attempted = true;
        return 'principal';
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // Refused before the attempt: no key lookup for a client that keeps failing.
    expect(attempted).toBe(false);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('too_many_failed_auth');
    expect((refused as DomainError).retryAfterSeconds).toBe(40);
    expect(await outcome(throttle.authenticate({ address: '203.0.113.8' }, passes))).toBe('ok');
    clock.advance(40_000);
    expect(await outcome(throttle.authenticate(subjects, passes))).toBe('ok');
  });

  it('wrong secrets at one key id from many addresses end in 429, but the right secret always passes', async () => {
    const throttle = new FailedAuthThrottle(limits);
    expect(await outcome(throttle.authenticate({ address: 'a', keyId: 'k1' }, rejects(invalid())))).toBe(
      'api_key_invalid',
    );
    expect(await outcome(throttle.authenticate({ address: 'b', keyId: 'k1' }, rejects(invalid())))).toBe(
      'api_key_invalid',
    );
    expect(throttle.keyIdSpent('k1')).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(await outcome(throttle.authenticate({ address: `c${i}`, keyId: 'k1' }, rejects(invalid())))).toBe(
        'too_many_failed_auth',
      );
    }
    // The key's owner, from anywhere, with the right secret: never locked out by the guesses.
    expect(await outcome(throttle.authenticate({ address: 'owner', keyId: 'k1' }, passes))).toBe('ok');
    expect(await outcome(throttle.authenticate({ address: 'a', keyId: 'k1' }, passes))).toBe('ok');
    expect(await outcome(throttle.authenticate({ address: 'c', keyId: 'k2' }, rejects(invalid())))).toBe(
      'api_key_invalid',
    );
  });

  it('a revoked, expired or disabled key presented whole is not a guess at its id', async () => {
    const throttle = new FailedAuthThrottle(limits);
    for (let i = 0; i < 5; i++) {
      const revoked = new UnauthorizedError('api_key_revoked', 'revoked');
      expect(await outcome(throttle.authenticate({ address: `r${i}`, keyId: 'k3' }, rejects(revoked)))).toBe(
        'api_key_revoked',
      );
    }
    expect(throttle.keyIdSpent('k3')).toBe(false);
  });

  it('only 401s count; other failures pass through untouched', async () => {
    const throttle = new FailedAuthThrottle(limits);
    for (let i = 0; i < 10; i++) {
      expect(
        await outcome(throttle.authenticate({ address: 'x', keyId: 'k4' }, rejects(new Error('storage down')))),
      ).toBe('Error: storage down');
    }
    expect(await outcome(throttle.authenticate({ address: 'x', keyId: 'k4' }, passes))).toBe('ok');
  });

  it('keeps its memory bounded when a client rotates subjects', () => {
    const throttle = new FailedAuthThrottle(limits);
    for (let i = 0; i < 1000; i++) throttle.recordFailure({ address: `addr-${i}`, keyId: `key-${i}` });
    expect((throttle as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(100);
  });
});
