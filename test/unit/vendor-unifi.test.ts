import { describe, expect, it } from 'vitest';
import { connector, unifiPrivateHost } from '../../shared/vendors/unifi';
import { readUnifiMessage, unifiProbeRequest } from '../../shared/vendors/unifi/api';

describe('UniFi connector (pure parts)', () => {
  it('defaults to the Site Manager and requires a console URL in network mode', () => {
    expect(connector.configSchema.parse({})).toEqual({ mode: 'site-manager' });
    expect(connector.configSchema.safeParse({ mode: 'network' }).success).toBe(false);
    expect(connector.configSchema.safeParse({ mode: 'other' }).success).toBe(false);
    const network = connector.configSchema.parse({ mode: 'network', consoleUrl: 'https://192.168.1.1' });
    expect(unifiPrivateHost(network)).toBe('192.168.1.1');
  });

  it('sends each API’s documented path and key header', () => {
    const credentials = { apiKey: 'k' };
    const cloud = unifiProbeRequest(credentials, connector.configSchema.parse({}));
    expect(cloud.url).toBe('https://api.ui.com/v1/hosts?pageSize=1');
    expect(cloud.headers).toMatchObject({ 'X-API-Key': 'k' });
    const local = unifiProbeRequest(
      credentials,
      connector.configSchema.parse({ mode: 'network', consoleUrl: 'https://10.0.0.1/' }),
    );
    expect(local.url).toBe('https://10.0.0.1/proxy/network/integration/v1/info');
    expect(local.headers).toMatchObject({ 'X-API-KEY': 'k' });
  });

  it('reads every known error body shape', () => {
    expect(
      readUnifiMessage({ code: 'unauthorized', httpStatusCode: 401, message: 'unauthorized', traceId: 't' }),
    ).toEqual({
      message: 'unauthorized',
      code: 'unauthorized',
    });
    expect(readUnifiMessage({ statusCode: 404, statusName: 'NOT_FOUND', message: 'Site not found' })).toEqual({
      message: 'Site not found',
      code: 'NOT_FOUND',
    });
    expect(readUnifiMessage({ error: { code: 401, message: 'Invalid API key' } })).toEqual({
      message: 'Invalid API key',
      code: '401',
    });
    expect(readUnifiMessage({ meta: { rc: 'error', msg: 'api.err.LoginRequired' }, data: [] })).toEqual({
      message: 'api.err.LoginRequired',
      code: 'error',
    });
    // A proxy's page is no error shape: core/errors.ts answers with the status instead of the body.
    expect(readUnifiMessage('<html>Bad Gateway</html>')).toBeUndefined();
    expect(readUnifiMessage({})).toBeUndefined();
  });

  it('keys the rate budget by console or by a digest of the key, never the key', () => {
    const key = connector.accountKey({ apiKey: 'super-secret' }, connector.configSchema.parse({}));
    expect(key).not.toContain('super-secret');
  });
});
