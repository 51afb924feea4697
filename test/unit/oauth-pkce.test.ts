import { describe, expect, it } from 'vitest';
import { codeChallengeS256, newCodeVerifier, newState, stateKey } from '../../shared/oauth/pkce';
import { haloAuthorizeUrl, missingHaloScopes } from '../../shared/vendors/halopsa/oauth-requests';

describe('PKCE and state (RFC 7636)', () => {
  it('derives the S256 challenge of RFC 7636 Appendix B', () => {
    // The verifier and challenge printed in RFC 7636, Appendix B.
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes verifiers in the unreserved alphabet and 43–128 long, and fresh states each time', () => {
    const verifier = newCodeVerifier();
    expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(newCodeVerifier()).not.toBe(verifier);
    const state = newState();
    expect(state).not.toBe(newState());
    expect(stateKey(state)).toMatch(/^[0-9a-f]{64}$/);
    expect(stateKey(state)).not.toContain(state);
  });

  it('asks Halo for the required scopes with the challenge, never the verifier', () => {
    const verifier = newCodeVerifier();
    const url = new URL(
      haloAuthorizeUrl(
        { clientId: 'client' },
        { tenant: 'contoso', scope: 'all', grant: 'authorization_code', requestsPer5Minutes: 700 },
        {
          redirectUri: 'https://hub.example.com/api/oauth/halopsa/callback',
          state: 's',
          codeChallenge: codeChallengeS256(verifier),
        },
      ),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://contoso.halopsa.com/auth/authorize');
    expect(url.searchParams.get('tenant')).toBe('contoso');
    expect(url.searchParams.get('scope')).toBe(
      'read:tickets edit:tickets read:customers read:assets read:users edit:webhooks',
    );
    expect(url.searchParams.get('code_challenge')).toBe(codeChallengeS256(verifier));
    expect(url.toString()).not.toContain(verifier);
  });
});

describe('Halo scope check', () => {
  it('names what is missing; all covers everything and edit covers read', () => {
    expect(missingHaloScopes('all')).toEqual([]);
    expect(missingHaloScopes('edit:tickets read:customers read:assets read:users edit:webhooks')).toEqual([]);
    expect(missingHaloScopes('read:tickets read:customers read:assets read:users edit:webhooks')).toEqual([
      'edit:tickets',
    ]);
    expect(missingHaloScopes('')).toEqual([
      'read:tickets',
      'edit:tickets',
      'read:customers',
      'read:assets',
      'read:users',
      'edit:webhooks',
    ]);
  });
});
