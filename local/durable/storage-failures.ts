import { restStatus } from '../../shared/storage/errors';
import { PayloadTooLargeError } from './chunked';

/**
 * Storage failures that no retry can fix. The reconciler retries a failed round with backoff,
 * which is right for a throttled or briefly unreachable Azurite but wrong for a value that will
 * never fit or a row that will never parse: those would be retried forever while the instance
 * looks Running. For these the engine fails the orchestration instead, with the reason.
 */

/** A stored row the engine cannot read back (bad JSON, a missing chunk, a schema mismatch). */
export class MalformedRowError extends Error {
  override readonly name = 'MalformedRowError';
}

/** A commit that cannot be expressed as one entity-group transaction (over 100 operations). */
export class TransactionTooLargeError extends Error {
  override readonly name = 'TransactionTooLargeError';
}

/** Table service error codes for requests that are wrong in themselves, not unlucky. */
const PERMANENT_CODES = new Set([
  'EntityTooLarge',
  'PropertyValueTooLarge',
  'RequestBodyTooLarge',
  'TooManyProperties',
  'PropertyNameTooLong',
  'InvalidInput',
  'InvalidValueType',
  'OutOfRangeInput',
  'InvalidDuplicateRow',
]);

/** The reason to record when `error` is one retrying cannot fix; undefined for transient ones. */
export function permanentStorageFailure(error: unknown): string | undefined {
  if (
    error instanceof PayloadTooLargeError ||
    error instanceof MalformedRowError ||
    error instanceof TransactionTooLargeError
  ) {
    return error.message;
  }
  const { status, code } = restStatus(error);
  if (status === 413 || (status === 400 && code !== undefined && PERMANENT_CODES.has(code))) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return `storage refused the write (${status} ${code ?? ''}): ${message}`.trim();
  }
  return undefined;
}

/** Runs a decode of one stored row, turning any parse failure into a MalformedRowError naming the row. */
export function decodeRow<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (restStatus(error).status !== undefined) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new MalformedRowError(`${what} is malformed: ${message.slice(0, 500)}`, { cause: error });
  }
}
