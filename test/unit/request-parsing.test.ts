import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../../shared/errors/domain-error';
import { problemFrom, toDomainError } from '../../shared/http/problem';
import {
  checkPathParams,
  clientQuery,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  noQuery,
  readJsonBody,
  readQuery,
} from '../../shared/http/request-parsing';
import { InvalidKeyError } from '../../shared/storage/errors';
import { apiInstant } from '../../shared/validation/instant';

/** What the HTTP edge refuses before a handler runs (docs/decisions.md §35). */
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
  return undefined;
};

const jsonRequest = (text: string) => ({
  headers: { get: (name: string) => (name === 'content-type' ? 'application/json' : null) },
  arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
});

describe('JSON nesting depth', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(jsonDepthExceeds('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[[]]}]}', 4)).toBe(true);
    expect(jsonDepthExceeds(`{"s":"${'['.repeat(500)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`{"s":"\\"${'{'.repeat(500)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`{"s":"\\\\",${'['.repeat(5)}`, 3)).toBe(true);
  });

  it('refuses a body deeper than the limit with json_too_deep before parsing it', async () => {
    const deep = `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    await expect(readJsonBody(jsonRequest(deep), z.unknown(), 1_000_000)).rejects.toMatchObject({
      code: 'json_too_deep',
    });
    const atLimit = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    await expect(readJsonBody(jsonRequest(atLimit), z.unknown(), 1_000_000)).resolves.toBeDefined();
  });
});

describe('query strings', () => {
  const schema = z.strictObject({ limit: z.coerce.number().optional(), status: z.string().optional() });

  it('refuses a repeated parameter instead of letting one copy win', () => {
    expect(codeOf(() => readQuery(new URLSearchParams('limit=1&limit=2'), schema))).toBe('validation_failed');
    expect(readQuery(new URLSearchParams('limit=1&status=x'), schema)).toEqual({ limit: 1, status: 'x' });
  });

  it('refuses any parameter on a route that declares none', () => {
    expect(codeOf(() => readQuery(new URLSearchParams('zz=1'), noQuery))).toBe('unknown_field');
    expect(readQuery(new URLSearchParams(''), noQuery)).toEqual({});
  });

  it('reads the query from the URL, where repeats survive', () => {
    const merged = new URLSearchParams({ limit: '2' });
    expect([...clientQuery({ url: 'http://h/api/x?limit=1&limit=2', query: merged }).getAll('limit')]).toEqual([
      '1',
      '2',
    ]);
    expect(clientQuery({ url: 'not a url', query: merged }).get('limit')).toBe('2');
  });
});

describe('ids', () => {
  it('refuses path parameters holding path separators, # ? or control characters', () => {
    for (const bad of ['../x', 'a\\b', 'a#b', 'a?b', 'a\u0000b', 'a\r\nb', 'a\u0085b']) {
      expect(
        codeOf(() => checkPathParams({ id: bad })),
        bad,
      ).toBe('validation_failed');
    }
    for (const good of ['01J0ABCDEF', 'wh_abc-def_123', 'ünïcødé', "a'b"]) {
      expect(
        codeOf(() => checkPathParams({ id: good })),
        good,
      ).toBeUndefined();
    }
  });

  it("maps a storage key the table cannot hold to the client's 400, not a 500", () => {
    const { error, known } = toDomainError(new InvalidKeyError('rk: forbidden character'));
    expect(known).toBe(true);
    expect(error.code).toBe('validation_failed');
    expect(JSON.stringify(problemFrom(error, 'c1'))).not.toContain('forbidden character');
  });
});

describe('instants a client sends', () => {
  it('accepts what the time keys can hold and refuses years 1 and 9999 (no RangeError later)', () => {
    expect(apiInstant.safeParse('2026-01-01T00:00:00+14:00').success).toBe(true);
    expect(apiInstant.safeParse('1970-01-01T00:00:00Z').success).toBe(true);
    expect(apiInstant.safeParse('0001-01-01T00:00:00Z').success).toBe(false);
    expect(apiInstant.safeParse('1969-12-31T23:59:59Z').success).toBe(false);
    expect(apiInstant.safeParse('9999-12-31T00:00:00Z').success).toBe(false);
  });
});
