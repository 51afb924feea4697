/**
 * Typed storage failures. Callers branch on `code` (stable snake_case, reused by problem+json) or on
 * `instanceof`; the raw SDK error stays on `cause` for logs.
 */

/** The entity changed (or was deleted and re-created) since it was read: HTTP 412 on an ETag match. */
export class ConflictError extends Error {
  readonly code = 'conflict';
  override readonly name = 'ConflictError';
}

/** An insert hit a key that is already taken: HTTP 409 EntityAlreadyExists. */
export class AlreadyExistsError extends Error {
  readonly code = 'already_exists';
  override readonly name = 'AlreadyExistsError';
}

/** A conditional write targeted a row (or blob) that does not exist. */
export class NotFoundError extends Error {
  readonly code = 'not_found';
  override readonly name = 'NotFoundError';
}

/** A list cursor that is malformed, tampered with, or minted for another table/partition/query. */
export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor';
  override readonly name = 'InvalidCursorError';
}

/** A value that does not match the repository's schema, on write (a bug) or on read (drifted data). */
export class EntityValidationError extends Error {
  readonly code = 'invalid_entity';
  override readonly name = 'EntityValidationError';
  constructor(
    message: string,
    readonly direction: 'read' | 'write',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A value that Table Storage cannot hold (64 KiB per string, 1 MiB per entity, 255 properties). */
export class EntityTooLargeError extends Error {
  readonly code = 'entity_too_large';
  override readonly name = 'EntityTooLargeError';
}

/** A PartitionKey/RowKey containing characters Table Storage forbids (/ \ # ? control chars). */
export class InvalidKeyError extends Error {
  readonly code = 'invalid_key';
  override readonly name = 'InvalidKeyError';
}

export type StorageError =
  | ConflictError
  | AlreadyExistsError
  | NotFoundError
  | InvalidCursorError
  | EntityValidationError
  | EntityTooLargeError
  | InvalidKeyError;

/** The HTTP status and service error code of an SDK RestError (duck-typed: no transitive import). */
export function restStatus(error: unknown): { status: number | undefined; code: string | undefined } {
  if (typeof error !== 'object' || error === null) return { status: undefined, code: undefined };
  const e = error as { statusCode?: unknown; code?: unknown; details?: { errorCode?: unknown } };
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code =
    typeof e.code === 'string' ? e.code : typeof e.details?.errorCode === 'string' ? e.details.errorCode : undefined;
  return { status, code };
}
