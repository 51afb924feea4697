import { z } from 'zod';

/** The latest instant the hub's time keys hold: 13 digits of milliseconds (year 2286). */
const LATEST_MS = 9_999_999_999_999;

/**
 * A point in time a client sends (ISO 8601 with an offset) that the hub can key on: 1970 to 2286.
 * Time-bucketed partitions and inverted time keys (shared/storage/keys.ts) cannot represent an
 * instant outside that, so one is refused here with 400 `validation_failed` instead of failing as
 * a RangeError (a 500) in the lookup it would drive.
 */
export const apiInstant = z.iso.datetime({ offset: true }).refine((value) => {
  const ms = Date.parse(value);
  return ms >= 0 && ms <= LATEST_MS;
}, 'must lie between 1970-01-01 and 2286-11-20');
