import { randomInt } from 'node:crypto';

/**
 * A moment in a year no other test uses. The housekeeping sweeps (stuck events, retention, payload
 * erasure) walk every tenant of the days they look at, and their tests move the clock by weeks, so
 * two tests whose clocks come within months of each other count each other's rows — a flaky
 * count, not a bug in the sweep. Each test file that runs one names its own band of years here;
 * within a file every call skips a year (a test that starts late in its year writes rows into the
 * next, and retention looks back four months), so its own tests never meet either. The start
 * within the band is random, so repeated runs on a kept Azurite do not meet an earlier run's rows.
 */
const BANDS = {
  'inbound-housekeeping': 2040,
  'payload-erasure': 2100,
  'delivery-payload-erasure': 2160,
  'inbound-replay-signatures': 2220,
} as const;
/**
 * Years per band. Time keys stop before 2287 (shared/storage/keys.ts), so four bands of 60 from
 * 2040; the random start leaves twenty years, ten calls, for a file after it.
 */
const BAND_YEARS = 60;

const next = new Map<keyof typeof BANDS, number>();

export function ownYearStart(band: keyof typeof BANDS): number {
  const n = next.get(band) ?? randomInt(0, BAND_YEARS - 20);
  next.set(band, n + 2);
  return Date.UTC(BANDS[band] + n, randomInt(0, 12), 1, 10);
}
