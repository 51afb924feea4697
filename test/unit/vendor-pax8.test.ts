import { describe, expect, it } from 'vitest';
import { readIssuedToken, tokenErrorKind } from '../../shared/vendors/client-credentials';
import { connector } from '../../shared/vendors/pax8';
import { pax8ProbeRequest, pax8TokenRequest, readPax8Message, readTotalCompanies } from '../../shared/vendors/pax8/api';

describe('Pax8 connector (pure parts)', () => {
  it('defaults to the published token URL, audience and API base', () => {
    const config = connector.configSchema.parse({});
    const token = pax8TokenRequest({ clientId: 'id', clientSecret: 'sec' }, config);
    expect(token.url).toBe('https://token-manager.pax8.com/oauth/token');
    expect(token.json).toEqual({
      client_id: 'id',
      client_secret: 'sec',
      audience: 'https://api.pax8.com',
      grant_type: 'client_credentials',
    });
    expect(pax8ProbeRequest(config, 't').url).toBe('https://api.pax8.com/v1/companies?page=0&size=1');
  });

  it('reads pages and each error envelope', () => {
    expect(readTotalCompanies({ content: [{}], page: { totalElements: 40 } })).toBe(40);
    expect(readTotalCompanies({ content: [{}, {}] })).toBe(2);
    expect(readTotalCompanies({ items: [] })).toBeUndefined();
    expect(readPax8Message({ type: 'Not Found', message: 'Company not found', status: 404 })).toEqual({
      message: 'Company not found',
      code: 'Not Found',
    });
    expect(readPax8Message({ error: 'access_denied', error_description: 'Unauthorized' })).toEqual({
      message: 'Unauthorized',
      code: 'access_denied',
    });
  });
});

describe('client-credentials helpers', () => {
  it('maps token-endpoint refusals about the client to auth, whatever the status', () => {
    expect(tokenErrorKind(400, { error: 'invalid_client' })).toBe('auth');
    expect(tokenErrorKind(401, { error: 'access_denied' })).toBe('auth');
    expect(tokenErrorKind(403, { error: 'access_denied' })).toBe('forbidden');
    expect(tokenErrorKind(400, { error: 'invalid_scope' })).toBe('forbidden');
    expect(tokenErrorKind(400, { error: 'invalid_request' })).toBe('rejected');
    expect(tokenErrorKind(503, 'down')).toBe('unavailable');
  });

  it('reads a token response and assumes a short life when expires_in is missing', () => {
    expect(readIssuedToken({ access_token: 'a', expires_in: 86400 })).toEqual({ token: 'a', expiresInSeconds: 86400 });
    expect(readIssuedToken({ access_token: 'a', expires_in: '3599' })).toEqual({ token: 'a', expiresInSeconds: 3599 });
    expect(readIssuedToken({ access_token: 'a' })?.expiresInSeconds).toBe(300);
    expect(readIssuedToken({ token: 'a' })).toBeUndefined();
  });
});
