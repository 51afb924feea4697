import { describe, expect, it } from 'vitest';
import { connector } from '../../shared/vendors/microsoft365';
import { gdapExpiries, readGraphMessage, sameGraphHost } from '../../shared/vendors/microsoft365/api';
import { m365Endpoints } from '../../shared/vendors/microsoft365/config';

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;
const rel = (status: string, days: number | undefined) => ({
  id: `${status}-${days}`,
  displayName: `${status} ${days}`,
  status,
  endDateTime: days === undefined ? undefined : new Date(NOW + days * DAY).toISOString(),
  customerName: undefined,
});

describe('Microsoft 365 connector (pure parts)', () => {
  it('uses separate login and Graph hosts, each overridable, or one base URL for both', () => {
    const defaults = m365Endpoints(connector.configSchema.parse({ tenantId: 'contoso.onmicrosoft.com' }));
    expect(defaults).toEqual({
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      graphRoot: 'https://graph.microsoft.com',
    });
    const one = m365Endpoints(connector.configSchema.parse({ tenantId: 't', baseUrl: 'http://127.0.0.1:9/' }));
    expect(one).toEqual({ tokenUrl: 'http://127.0.0.1:9/t/oauth2/v2.0/token', graphRoot: 'http://127.0.0.1:9' });
    expect(connector.configSchema.safeParse({ tenantId: '../evil' }).success).toBe(false);
  });

  it('warns on expiring relationships and live ones ending within 30 days, not on history', () => {
    const warnings = gdapExpiries(
      [
        rel('active', 10),
        rel('active', 31),
        rel('expiring', 90),
        rel('expired', -1),
        rel('terminated', 5),
        rel('active', 30),
        rel('expiring', undefined),
      ],
      NOW,
    );
    expect(warnings.map((w) => w.what)).toEqual([
      'GDAP relationship "expiring undefined" (expiring)',
      'GDAP relationship "active 10" (active)',
      'GDAP relationship "active 30" (active)',
      'GDAP relationship "expiring 90" (expiring)',
    ]);
    expect(warnings[0]?.at).toBe(new Date(NOW).toISOString());
  });

  it('follows next links only on the configured Graph host', () => {
    const config = connector.configSchema.parse({ tenantId: 't' });
    expect(sameGraphHost(config, 'https://graph.microsoft.com/v1.0/x?$skiptoken=1')).toBe(true);
    expect(sameGraphHost(config, 'https://attacker.example/v1.0/x')).toBe(false);
    expect(sameGraphHost(config, 'not a url')).toBe(false);
  });

  it('reads Graph and token-endpoint error bodies', () => {
    expect(
      readGraphMessage({ error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed.' } }),
    ).toEqual({
      message: 'Lifetime validation failed.',
      code: 'InvalidAuthenticationToken',
    });
    expect(
      readGraphMessage({
        error: 'invalid_client',
        error_description: 'AADSTS7000215: Invalid client secret provided.',
      }),
    ).toEqual({
      message: 'AADSTS7000215: Invalid client secret provided.',
      code: 'invalid_client',
    });
  });
});
