import { DomainError } from '../errors/domain-error';

/** The request header that makes a publish or create safe to retry (docs/api.md, "Idempotent requests"). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set on an answer that repeats the first answer to the same key instead of running the request again. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** 1–255 visible ASCII characters (0x21–0x7E): no spaces, no control or non-ASCII characters. */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

export class IdempotencyKeyInvalidError extends DomainError {
  constructor() {
    super(
      'idempotency_key_invalid',
      `The ${IDEMPOTENCY_KEY_HEADER} header must be 1 to 255 visible ASCII characters (no spaces).`,
      { header: IDEMPOTENCY_KEY_HEADER },
    );
  }
}

/**
 * The key a request carries, undefined when it sends none. A header that is present but empty or
 * malformed is refused rather than ignored: the caller meant to be protected against duplicates.
 * The value is never echoed back, since callers sometimes put request ids with meaning in it.
 */
export function idempotencyKeyOf(headers: { get(name: string): string | null }): string | undefined {
  const value = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (value === null) return undefined;
  if (!KEY_SHAPE.test(value)) throw new IdempotencyKeyInvalidError();
  return value;
}
