import { describe, expect, it } from 'vitest';
import type { Settings } from '../../shared/config/settings';
import { classifyAddress } from '../../shared/net/address-class';
import { assertOutboundUrlAllowed, networkPolicyFromSettings, OutboundUrlBlockedError } from '../../shared/net/guard';

/**
 * Every IPv6 form that carries an IPv4 address is judged by that IPv4 address: otherwise
 * `[::ffff:0:127.0.0.1]` would be a "public" way to loopback, metadata or the LAN.
 */
const inner: Record<string, string> = {
  '127.0.0.1': 'loopback',
  '10.1.2.3': 'private',
  '192.168.0.10': 'private',
  '169.254.169.254': 'metadata',
  '169.254.1.1': 'link_local',
  '100.64.0.1': 'shared_address',
  '0.0.0.0': 'unspecified',
  '224.0.0.1': 'reserved',
};

const hex = (v4: string) => {
  const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
};

const embeddings: Record<string, (v4: string) => string[]> = {
  'IPv4-mapped ::ffff:0:0/96': (v4) => [`::ffff:${v4}`, `::ffff:${hex(v4)}`, `0:0:0:0:0:ffff:${hex(v4)}`],
  'IPv4-translated ::ffff:0:0:0/96': (v4) => [`::ffff:0:${v4}`, `::ffff:0:${hex(v4)}`, `0:0:0:0:ffff:0:${hex(v4)}`],
  'IPv4-compatible ::/96': (v4) => [`::${v4}`, `::${hex(v4)}`],
  'NAT64 64:ff9b::/96': (v4) => [`64:ff9b::${v4}`, `64:ff9b::${hex(v4)}`],
  'NAT64 local-use 64:ff9b:1::/96': (v4) => [`64:ff9b:1::${hex(v4)}`],
  '6to4 2002::/16': (v4) => [`2002:${hex(v4)}::1`, `2002:${hex(v4)}:ffff::`],
};

describe('IPv6 addresses that embed IPv4 are classified like the IPv4 address they carry', () => {
  for (const [name, spell] of Object.entries(embeddings)) {
    it(name, () => {
      for (const [v4, kind] of Object.entries(inner)) {
        expect(classifyAddress(v4), v4).toBe(kind);
        for (const v6 of spell(v4)) expect(classifyAddress(v6), `${v6} (${v4})`).toBe(kind);
      }
      // A public IPv4 address inside stays public (these are real transition addresses).
      for (const v6 of spell('8.8.8.8')) expect(classifyAddress(v6), v6).toBe('public');
    });
  }

  it('reads each RFC 6052 placement of the NAT64 local-use prefix (/48, /56, /64)', () => {
    // 127.0.0.1 = 7f 00 00 01; byte 8 ("u") is always zero.
    expect(classifyAddress('64:ff9b:1:7f00:0:100::')).toBe('loopback'); // /48: bytes 6,7 | 9,10
    expect(classifyAddress('64:ff9b:1:7f:0:1::')).toBe('loopback'); // /56: byte 7 | 9,10,11
    expect(classifyAddress('64:ff9b:1::7f:0:100:0')).toBe('loopback'); // /64: bytes 9..12
  });

  it('the guard refuses a URL with an IPv4-translated loopback or metadata literal, even in development', async () => {
    const production = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'production' } as Settings);
    const development = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'development' } as Settings);
    const refusal = async (url: string, policy = production) => {
      const error = await assertOutboundUrlAllowed(url, policy).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, url).toBeInstanceOf(OutboundUrlBlockedError);
      return String((error as OutboundUrlBlockedError).details.reason);
    };
    expect(await refusal('https://[::ffff:0:127.0.0.1]/')).toBe('loopback');
    expect(await refusal('https://[::ffff:0:a00:1]/')).toBe('private');
    expect(await refusal('https://[::ffff:0:a9fe:a9fe]/latest/meta-data')).toBe('metadata');
    expect(await refusal('http://[::ffff:0:a9fe:a9fe]/', development)).toBe('metadata');
    expect(await refusal('https://[64:ff9b::127.0.0.1]/')).toBe('loopback');
    expect(await refusal('https://[2002:7f00:1::]/')).toBe('loopback');
  });
});
