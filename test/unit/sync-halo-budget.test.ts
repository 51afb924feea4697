import { describe, expect, it } from 'vitest';
import { connector } from '../../shared/vendors/halopsa/index';

/** The Halo budget an integration may raise (docs/sync.md "Rate limits", docs/decisions.md §72). */
describe('Halo request budget per integration', () => {
  const parse = (config: Record<string, unknown>) => connector.configSchema.safeParse({ tenant: 'acme', ...config });

  it('defaults to 700 per 5 minutes and takes 1 to 10,000', () => {
    const parsed = parse({});
    expect(parsed.success && parsed.data.requestsPer5Minutes).toBe(700);
    expect(parsed.success && connector.rateLimitFor?.(parsed.data)).toEqual({ requests: 700, windowSeconds: 300 });
    const raised = parse({ requestsPer5Minutes: 10_000 });
    expect(raised.success && connector.rateLimitFor?.(raised.data)).toEqual({ requests: 10_000, windowSeconds: 300 });
  });

  it('refuses 0, more than 10,000, fractions and strings', () => {
    for (const value of [0, 10_001, 1.5, '700']) expect(parse({ requestsPer5Minutes: value }).success).toBe(false);
  });
});
