import { describe, expect, it } from 'vitest';
import { createCredentialCipher } from '../../shared/crypto/credential-cipher';
import { generateFernetKey } from '../../shared/crypto/fernet';
import {
  hostFamily,
  originAllowed,
  originOf,
  originsOf,
  uncoveredDestinations,
} from '../../shared/vendors/core/destinations';

describe('destinations', () => {
  it('normalizes origins with the port always written', () => {
    expect(originOf('https://API.Example.com/v1?x=1')).toBe('https://api.example.com:443');
    expect(originOf('https://api.example.com:443/')).toBe('https://api.example.com:443');
    expect(originOf('http://127.0.0.1:8080/x')).toBe('http://127.0.0.1:8080');
    expect(originOf('http://[::1]/')).toBe('http://[::1]:80');
    expect(originOf('ftp://example.com')).toBeUndefined();
    expect(originOf('not a url')).toBeUndefined();
    expect(originsOf(['https://a.example/x', 'https://a.example:443/y', undefined])).toEqual(['https://a.example:443']);
  });

  it('matches a host family on labels under its domain, same scheme and port only', () => {
    const family = [hostFamily('autotask.net')];
    expect(originAllowed('https://webservices5.autotask.net:443', family)).toBe(true);
    expect(originAllowed('https://a.b.autotask.net:443', family)).toBe(true);
    expect(originAllowed('https://evilautotask.net:443', family)).toBe(false);
    expect(originAllowed('https://autotask.net.evil.example:443', family)).toBe(false);
    expect(originAllowed('http://webservices5.autotask.net:80', family)).toBe(false);
    expect(originAllowed('https://webservices5.autotask.net:8443', family)).toBe(false);
  });

  it('counts a change as new only where the bound set does not cover it', () => {
    const bound = ['https://api.example.com:443', hostFamily('autotask.net')];
    expect(uncoveredDestinations(['https://api.example.com:443'], bound)).toEqual([]);
    expect(uncoveredDestinations(['https://webservices2.autotask.net:443'], bound)).toEqual([]);
    expect(uncoveredDestinations(['https://api.example.com:8443'], bound)).toEqual(['https://api.example.com:8443']);
    // A bound single host never stands for a family.
    expect(uncoveredDestinations([hostFamily('example.com')], ['https://api.example.com:443'])).toEqual([
      hostFamily('example.com'),
    ]);
  });
});

describe('keyed digests of secrets', () => {
  it('are stable per key and purpose, differ otherwise, and do not contain the value', async () => {
    const key = generateFernetKey();
    const a = createCredentialCipher(async () => key);
    const b = createCredentialCipher(async () => `${key},${generateFernetKey()}`);
    const other = createCredentialCipher(async () => generateFernetKey());
    const digest = await a.keyedDigest('vendor-budget', 'hunter2');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(await b.keyedDigest('vendor-budget', 'hunter2')).toBe(digest); // the primary key decides
    expect(await a.keyedDigest('other-purpose', 'hunter2')).not.toBe(digest);
    expect(await other.keyedDigest('vendor-budget', 'hunter2')).not.toBe(digest);
    expect(digest).not.toContain('hunter2');
  });
});
