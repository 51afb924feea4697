import { z } from 'zod';

/**
 * Free text that people type and other people read back: names, descriptions, labels, notes. One
 * schema for every capability, so the rules cannot drift between resources.
 *
 * Refused, with 400 `validation_failed`:
 * - control characters (C0, DEL, C1): they break log lines, CSV exports and terminals;
 * - bidirectional overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069) and the bare
 *   direction marks (U+200E, U+200F, U+061C): they make a name display differently from what it
 *   is ("Trojan Source"), so an admin could be shown one key or tenant name and act on another;
 * - lone UTF-16 surrogates: not text at all, and Table Storage / JSON consumers disagree on them.
 *
 * Leading and trailing white space is trimmed before the length check; lengths are UTF-16 units.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const DISPLAY_NAME_MAX = 100;
export const DESCRIPTION_MAX = 1000;

/** The reason `value` is not acceptable display text, or undefined when it is. */
export function displayTextProblem(value: string): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'must not contain lone surrogates (broken UTF-16)';
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (BIDI.test(value)) return 'must not contain bidirectional override or direction-mark characters';
  return undefined;
}

/** Display text of `min`..`max` characters after trimming; the building block of the two below. */
export function displayText(options: { min: number; max: number }): z.ZodString {
  return z
    .string()
    .trim()
    .min(options.min, options.min === 1 ? 'must not be empty' : `must be at least ${options.min} characters`)
    .max(options.max, `must be at most ${options.max} characters`)
    .check((ctx) => {
      const problem = displayTextProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    });
}

/** A short human name: 1-100 characters, no control, bidi-override or broken characters. */
export const displayName = displayText({ min: 1, max: DISPLAY_NAME_MAX }).meta({
  description: `A name people read: 1-${DISPLAY_NAME_MAX} characters, no control or bidirectional-override characters.`,
});

/** A longer free-text description: up to 1,000 characters, same character rules. */
export const description = displayText({ min: 0, max: DESCRIPTION_MAX }).meta({
  description: `Free text up to ${DESCRIPTION_MAX} characters, no control or bidirectional-override characters.`,
});
