import { describe, expect, it } from 'vitest';
import { changeEventKey } from '../../shared/entities/event-keys';
import { domainOf, matchKeys, normaliseName, sameCompany } from '../../shared/entities/matching';
import { threeWay } from '../../shared/entities/three-way';
import { newestFirstIdTime } from '../../shared/storage/keys';

describe('entity matching keys', () => {
  it('normalises case, accents, punctuation and legal forms', () => {
    expect(normaliseName('Contoso Dental Ltd.')).toBe('contoso dental');
    expect(normaliseName('CONTOSO DENTAL, LIMITED')).toBe('contoso dental');
    expect(normaliseName('Café Zürich GmbH')).toBe('cafe zurich');
    expect(normaliseName('Smith & Sons Inc')).toBe('smith and sons');
    expect(normaliseName(undefined)).toBe('');
  });

  it('takes the web domain without www, scheme or path', () => {
    expect(domainOf('https://www.contoso.com/about')).toBe('contoso.com');
    expect(domainOf('contoso.com')).toBe('contoso.com');
    expect(domainOf('')).toBe('');
    expect(domainOf('not a url')).toBe('');
  });

  it('matches on name or domain, never on two empty keys', () => {
    const a = matchKeys({ name: 'Contoso Ltd', website: 'contoso.com' });
    expect(sameCompany(a, matchKeys({ name: 'Contoso Limited' }))).toBe(true);
    expect(sameCompany(a, matchKeys({ name: 'Other', website: 'https://www.contoso.com' }))).toBe(true);
    expect(sameCompany(matchKeys({}), matchKeys({}))).toBe(false);
    expect(sameCompany(a, matchKeys({ name: 'Fabrikam' }))).toBe(false);
  });
});

describe('three-way comparison', () => {
  const halo = (phone: string | undefined) => ({
    integrationId: 'h',
    vendor: 'halopsa',
    values: phone === undefined ? {} : { phone },
  });
  const autotask = (phone: string) => ({ integrationId: 'a', vendor: 'autotask', values: { phone } });

  it('nothing changed: nothing to do', () => {
    expect(threeWay({ phone: '1' }, [halo('1'), autotask('1')])).toEqual({ changes: {}, conflicts: [] });
  });

  it('one side changed: the change propagates without a conflict', () => {
    expect(threeWay({ phone: '1' }, [halo('2'), autotask('1')])).toEqual({ changes: { phone: '2' }, conflicts: [] });
  });

  it('both changed to the same value: no conflict', () => {
    expect(threeWay({ phone: '1' }, [halo('2'), autotask('2')]).conflicts).toEqual([]);
  });

  it('both changed differently: one conflict holding both versions, no change', () => {
    expect(threeWay({ phone: '1' }, [halo('2'), autotask('3')])).toEqual({
      changes: {},
      conflicts: [
        {
          field: 'phone',
          base: '1',
          versions: [
            { integrationId: 'h', vendor: 'halopsa', value: '2' },
            { integrationId: 'a', vendor: 'autotask', value: '3' },
          ],
        },
      ],
    });
  });

  it('a product that does not hold the field neither changes nor blocks it', () => {
    expect(threeWay({ phone: '1' }, [halo(undefined), autotask('3')])).toEqual({
      changes: { phone: '3' },
      conflicts: [],
    });
  });

  it('a read-only product is compared with what it held, not with the base it is never written', () => {
    const itglue = (phone: string, held: string) => ({
      integrationId: 'i',
      vendor: 'itglue',
      values: { phone },
      held: { phone: held },
    });
    // IT Glue still holds the value it had when the base moved on without it: no change.
    expect(threeWay({ phone: '2' }, [halo('2'), itglue('1', '1')])).toEqual({ changes: {}, conflicts: [] });
    // IT Glue changed since: its change propagates.
    expect(threeWay({ phone: '2' }, [halo('2'), itglue('4', '1')])).toEqual({ changes: { phone: '4' }, conflicts: [] });
  });
});

describe('change event keys', () => {
  it('are valid newest-first ids, the same for the same change and different for another', () => {
    const at = Date.UTC(2026, 0, 2);
    const key = changeEventKey(at, 'c1:v2');
    expect(newestFirstIdTime(key)).toBe(at);
    expect(changeEventKey(at, 'c1:v2')).toBe(key);
    expect(changeEventKey(at, 'c1:v3')).not.toBe(key);
  });
});
