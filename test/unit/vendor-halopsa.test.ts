import { describe, expect, it } from 'vitest';
import { connector } from '../../shared/vendors/halopsa';
import { haloProbeRequest, haloTokenRequest, readClientCount, readHaloMessage } from '../../shared/vendors/halopsa/api';
import { haloBaseUrl } from '../../shared/vendors/halopsa/config';

describe('Halo PSA connector (pure parts)', () => {
  it('needs a tenant or a base URL, and builds https://{tenant}.halopsa.com', () => {
    expect(connector.configSchema.safeParse({}).success).toBe(false);
    const config = connector.configSchema.parse({ tenant: 'Acme' });
    expect(config.scope).toBe('all');
    expect(haloBaseUrl(config)).toBe('https://acme.halopsa.com');
    expect(haloBaseUrl(connector.configSchema.parse({ tenant: 'acme', baseUrl: 'https://halo.example.com/' }))).toBe(
      'https://halo.example.com',
    );
    expect(connector.configSchema.safeParse({ tenant: 'evil.com/x' }).success).toBe(false);
  });

  it('builds the documented token and probe requests', () => {
    const config = connector.configSchema.parse({ tenant: 'acme' });
    const token = haloTokenRequest({ clientId: 'id', clientSecret: 's3cret' }, config);
    // A hosted tenant is named on the token request too (docs/vendor-fidelity.md, Halo).
    expect(token).toMatchObject({ method: 'POST', url: 'https://acme.halopsa.com/auth/token?tenant=acme' });
    const selfHosted = connector.configSchema.parse({ baseUrl: 'https://halo.example.com' });
    expect(haloTokenRequest({ clientId: 'id', clientSecret: 's' }, selfHosted).url).toBe(
      'https://halo.example.com/auth/token',
    );
    expect(token.form).toEqual({
      grant_type: 'client_credentials',
      client_id: 'id',
      client_secret: 's3cret',
      scope: 'all',
    });
    const probe = haloProbeRequest(config, 'tok');
    expect(probe.url).toBe('https://acme.halopsa.com/api/Client?pageinate=true&page_size=1&page_no=1');
    expect(probe.headers?.Authorization).toBe('Bearer tok');
  });

  it('reads client lists and error bodies defensively', () => {
    expect(readClientCount({ record_count: 7, clients: [] })).toBe(7);
    expect(readClientCount({ clients: [{}, {}] })).toBe(2);
    expect(readClientCount([{}])).toBe(1);
    expect(readClientCount('<html/>')).toBeUndefined();
    expect(readHaloMessage({ error: 'invalid_client' })).toEqual({ message: 'invalid_client' });
    expect(readHaloMessage({ Message: 'An error has occurred.', ExceptionMessage: 'x' })).toEqual({
      message: 'An error has occurred.',
    });
    // Plain text is no error shape: core/errors.ts answers with the status instead of the body.
    expect(readHaloMessage('  plain text  ')).toBeUndefined();
    expect(readHaloMessage({ unrelated: true })).toBeUndefined();
  });

  it('marks the client secret as the only secret field', () => {
    expect(connector.catalog.credentialFields.filter((f) => f.secret).map((f) => f.name)).toEqual(['clientSecret']);
    expect(
      connector.accountKey(
        { clientId: 'id', clientSecret: 's3cret' },
        connector.configSchema.parse({ tenant: 'acme' }),
      ),
    ).not.toContain('s3cret');
  });
});
