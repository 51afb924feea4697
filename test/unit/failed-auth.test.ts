import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { DomainError } from '../../shared/errors/domain-error';
import { addressBucket, clientAddress, UNKNOWN_CLIENT } from '../../shared/http/client-address';
import { FailedAuthThrottle } from '../../shared/http/failed-auth-throttle';

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

  it('maps missing, garbage and oversized values to one bucket instead of failing', () => {
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
    ];
    for (const value of hostile) expect(clientAddress(headers(value)), String(value)).toBe(UNKNOWN_CLIENT);
    const throwing = {
      get: () => {
        throw new Error('broken header map');
      },
    };
    expect(clientAddress(throwing)).toBe(UNKNOWN_CLIENT);
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

  it('refuses an address after its failures, until the window ends, with Retry-After', () => {
    const throttle = new FailedAuthThrottle(limits);
    const subjects = { address: '203.0.113.7' };
    for (let i = 0; i < 3; i++) {
      expect(() => throttle.check(subjects)).not.toThrow();
      throttle.recordFailure(subjects);
    }
    clock.advance(20_000);
    let refused: unknown;
    try {
      throttle.check(subjects);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('too_many_failed_auth');
    expect((refused as DomainError).retryAfterSeconds).toBe(40);
    expect(() => throttle.check({ address: '203.0.113.8' })).not.toThrow();
    clock.advance(40_000);
    expect(() => throttle.check(subjects)).not.toThrow();
  });

  it('refuses a key id guessed at from many addresses', () => {
    const throttle = new FailedAuthThrottle(limits);
    throttle.recordFailure({ address: 'a', keyId: 'k1' });
    throttle.recordFailure({ address: 'b', keyId: 'k1' });
    expect(() => throttle.check({ address: 'c', keyId: 'k1' })).toThrow(DomainError);
    expect(() => throttle.check({ address: 'c', keyId: 'k2' })).not.toThrow();
  });

  it('keeps its memory bounded when a client rotates subjects', () => {
    const throttle = new FailedAuthThrottle(limits);
    for (let i = 0; i < 1000; i++) throttle.recordFailure({ address: `addr-${i}`, keyId: `key-${i}` });
    expect((throttle as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(100);
  });
});
