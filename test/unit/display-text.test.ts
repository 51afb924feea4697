import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../shared/errors/domain-error';
import { validate } from '../../shared/http/request-parsing';
import { DESCRIPTION_MAX, description, displayName, displayText } from '../../shared/validation/text';

const messages = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.message);
};

describe('display text', () => {
  it('accepts ordinary names in any script, emoji included, and trims them', () => {
    for (const name of [
      'Contoso',
      'Ops dashboard (read-only)',
      'Müller & Söhne',
      'شركة',
      '東京サポート',
      'On call 🚨',
    ]) {
      expect(displayName.parse(name)).toBe(name);
    }
    expect(displayName.parse('  padded  ')).toBe('padded');
  });

  it('refuses control characters: C0, DEL and C1', () => {
    for (const bad of ['a\nb', 'tab\there', 'nul\u0000', 'esc\u001b[31m', 'del\u007f', 'c1\u0085']) {
      expect(messages(displayName, bad)).toEqual(['must not contain control characters']);
    }
  });

  it('refuses bidirectional overrides, isolates and direction marks', () => {
    for (const ch of [
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200e',
      '\u200f',
      '\u061c',
    ]) {
      expect(messages(displayName, `invoice${ch}fdp.exe`)).toEqual([
        'must not contain bidirectional override or direction-mark characters',
      ]);
    }
  });

  it('refuses lone surrogates but accepts proper pairs', () => {
    expect(messages(displayName, 'broken\ud800')).toEqual(['must not contain lone surrogates (broken UTF-16)']);
    expect(messages(displayName, '\udc00broken')).toEqual(['must not contain lone surrogates (broken UTF-16)']);
    expect(messages(displayName, 'reversed \udc00\ud800')).toHaveLength(1);
    expect(displayName.parse('pair \ud83d\ude00')).toBe('pair 😀');
  });

  it('enforces lengths after trimming', () => {
    expect(messages(displayName, '')).toEqual(['must not be empty']);
    expect(messages(displayName, '   ')).toEqual(['must not be empty']);
    expect(displayName.parse('x'.repeat(100))).toHaveLength(100);
    expect(messages(displayName, 'x'.repeat(101))).toEqual(['must be at most 100 characters']);
    expect(description.parse('')).toBe('');
    expect(messages(description, 'x'.repeat(DESCRIPTION_MAX + 1))).toHaveLength(1);
    expect(messages(displayText({ min: 3, max: 5 }), 'ab')).toEqual(['must be at least 3 characters']);
    expect(messages(displayName, 42)).toHaveLength(1);
  });

  it('becomes 400 validation_failed with the field named when used in a request schema', () => {
    const body = z.strictObject({ name: displayName, description: description.optional() });
    let error: unknown;
    try {
      validate(body, { name: 'ok', description: 'bad\u202e' }, 'body');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('validation_failed');
    expect((error as ValidationError).details.errors).toEqual([
      { path: 'body.description', message: 'must not contain bidirectional override or direction-mark characters' },
    ]);
  });
});
