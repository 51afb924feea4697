import type { ErrorCode } from './codes';

export interface DomainErrorOptions {
  /** When the caller may try again (seconds); becomes Retry-After and `retry_after_seconds`. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * The one error type domain code throws: a stable `code`, a message written for the person who
 * reads it, and `details` (never secrets) that become members of the problem document. It carries
 * no HTTP status: shared/http/error-table.ts decides that, in one place, so a queue handler, a
 * timer and an HTTP route can all throw and catch the same errors.
 */
export class DomainError extends Error {
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterSeconds =
      options.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterSeconds));
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** A resource that does not exist in the caller's tenant (another tenant's resource looks the same). */
export class ResourceNotFoundError extends DomainError {
  constructor(resource: string, id: string) {
    super('not_found', `No ${resource} with id "${id}" exists.`, { resource, id });
  }
}

/** Input that parsed but is not acceptable; `errors` names each field. */
export class ValidationError extends DomainError {
  constructor(detail: string, errors: { path: string; message: string }[]) {
    super('validation_failed', detail, { errors });
  }
}

/** Too many of something in a window; the caller learns when to come back. */
export class TooManyRequestsError extends DomainError {
  constructor(code: ErrorCode, detail: string, retryAfterSeconds: number, details: Record<string, unknown> = {}) {
    super(code, detail, details, { retryAfterSeconds });
  }
}
