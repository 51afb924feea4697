import { z } from 'zod';

/**
 * A tool argument the vendor module puts into a URL path as one segment (a device uid, a site id, a
 * user). The vendor modules encode it with encodeURIComponent where they build the URL, but that
 * leaves `.` and `..` as they are, and a URL parser resolves those as dot segments: `..` as a device
 * uid would turn `/device/{uid}/quickjob` into `/quickjob` one level up. So the argument schema
 * refuses them, and also what only a path (not an id) needs: separators (`/`, `\`), a `%` (a
 * pre-encoded value a server might decode twice) and control characters.
 */
const DOT_SEGMENT = /^\.{1,2}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
const NOT_IN_A_SEGMENT = /[/\\%\u0000-\u001f\u007f]/;

export const PATH_SEGMENT_RULE =
  'must be one URL path segment: not "." or "..", and without "/", "\\", "%" or control characters';

export function pathSegmentArg(max: number, what: string) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !DOT_SEGMENT.test(value) && !NOT_IN_A_SEGMENT.test(value), { error: PATH_SEGMENT_RULE })
    .describe(`${what} (${PATH_SEGMENT_RULE})`);
}
