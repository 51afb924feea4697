import { describe, expect, it } from 'vitest';
import { contactMatchKeys } from '../../shared/entities/matching';
import { fullName, splitName } from '../../shared/entities/sources/contact-source';
import { CONTACT_FIELDS } from '../../shared/entities/tables';
import { threeWay } from '../../shared/entities/three-way';

/** Contacts' matching keys, names across products, and the shared three-way over contact fields. */
describe('entity sync: contact keys', () => {
  it('an e-mail matches whatever its case and surrounding spaces; a name is normalised as company names are', () => {
    expect(contactMatchKeys({ email: ' Ada.Lovelace@Client1.Example ', name: 'Ada  LOVELACE' })).toEqual({
      matchEmail: 'ada.lovelace@client1.example',
      matchName: 'ada lovelace',
    });
    expect(contactMatchKeys({})).toEqual({ matchEmail: '', matchName: '' });
  });

  it('first and last names join and split at the first space', () => {
    expect(fullName('Ada', 'Lovelace')).toBe('Ada Lovelace');
    expect(fullName(undefined, 'Lovelace')).toBe('Lovelace');
    expect(fullName(' ', undefined)).toBeUndefined();
    expect(splitName('Ada King Lovelace')).toEqual({ first: 'Ada', last: 'King Lovelace' });
    expect(splitName('Cher')).toEqual({ first: 'Cher', last: '' });
  });

  it('three-way over contact fields: one-sided e-mail propagates, two-sided is a conflict', () => {
    const base = { name: 'Ada Lovelace', email: 'ada@x.example', phone: '1' };
    const halo = { integrationId: 'h', vendor: 'halopsa', values: { ...base, email: 'ada@y.example' } };
    const autotask = { integrationId: 'a', vendor: 'autotask', values: { ...base } };
    expect(threeWay(base, [halo, autotask], CONTACT_FIELDS)).toEqual({
      changes: { email: 'ada@y.example' },
      conflicts: [],
    });
    const both = { ...autotask, values: { ...base, email: 'ada@z.example' } };
    const result = threeWay(base, [halo, both], CONTACT_FIELDS);
    expect(result.changes).toEqual({});
    expect(result.conflicts).toEqual([
      {
        field: 'email',
        base: 'ada@x.example',
        versions: [
          { integrationId: 'h', vendor: 'halopsa', value: 'ada@y.example' },
          { integrationId: 'a', vendor: 'autotask', value: 'ada@z.example' },
        ],
      },
    ]);
  });
});
