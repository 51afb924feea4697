import type { HttpResponseInit } from '@azure/functions';
import { DomainError, ValidationError } from '../errors/domain-error';
import { errorFields, type Logger } from '../observability/logger';
import { ConflictError, InvalidCursorError, InvalidKeyError } from '../storage/errors';
import { errorMapping } from './error-table';
import { MethodNotAllowedError } from './errors';

/** RFC 9457 problem details. `code` is the stable, machine-readable part clients switch on. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  correlationId: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://docs.msp-hub.dev/problems/';

/** Storage failures a client can act on keep their meaning; everything else is internal. */
function asDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (error instanceof InvalidCursorError) {
    return new DomainError('invalid_cursor', 'The cursor is not valid for this list; start again without one.');
  }
  if (error instanceof ConflictError) {
    return new DomainError('conflict', 'The resource changed while this request was applied; retry it.');
  }
  // Keys are built from ids, and the ids that reach storage came from the request (a path, a body
  // field): one Table Storage cannot hold (/ \ # ? or a control character) is the client's error.
  if (error instanceof InvalidKeyError) {
    return new ValidationError(
      'An id in the request contains characters no id has (/, \\, #, ? or control characters).',
      [{ path: 'id', message: 'must not contain /, \\, #, ? or control characters' }],
    );
  }
  return undefined;
}

export function problemFrom(error: DomainError, correlationId: string): Problem {
  const { status, title } = errorMapping(error.code);
  return {
    type: `${TYPE_BASE}${error.code}`,
    title,
    status,
    detail: error.message,
    code: error.code,
    correlationId,
    ...error.details,
    ...(error.retryAfterSeconds !== undefined ? { retry_after_seconds: error.retryAfterSeconds } : {}),
  };
}

/** The HTTP headers a problem implies: how to authenticate, when to retry, what is allowed. */
export function problemHeaders(error: DomainError): Record<string, string> {
  const { status } = errorMapping(error.code);
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE };
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer';
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  if (error instanceof MethodNotAllowedError) headers['Allow'] = error.allowed.join(', ');
  return headers;
}

/** Any thrown value as the DomainError a client sees; unknown errors become a 500 that echoes nothing. */
export function toDomainError(error: unknown): { error: DomainError; known: boolean } {
  const known = asDomainError(error);
  if (known) return { error: known, known: true };
  return {
    error: new DomainError(
      'internal_error',
      'The hub failed to handle this request; quote the correlation id when reporting it.',
    ),
    known: false,
  };
}

/**
 * The single place errors become HTTP responses. DomainErrors keep their code, with the status and
 * title from the error table; anything else is a 500 whose detail never echoes the underlying
 * message (it may hold internals).
 */
export function problemResponse(error: unknown, correlationId: string, log: Logger): HttpResponseInit {
  const { error: domainError, known } = toDomainError(error);
  if (!known) log.error('unhandled error', errorFields(error));
  return {
    status: errorMapping(domainError.code).status,
    headers: problemHeaders(domainError),
    body: JSON.stringify(problemFrom(domainError, correlationId)),
  };
}
