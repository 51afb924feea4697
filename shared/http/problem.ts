import type { HttpResponseInit } from '@azure/functions';
import { errorFields, type Logger } from '../observability/logger';
import { ConflictError, InvalidCursorError } from '../storage/errors';
import { AppError } from './errors';

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

export function problemFrom(error: AppError, correlationId: string): Problem {
  return {
    type: `${TYPE_BASE}${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    correlationId,
    ...error.extensions,
  };
}

/**
 * The single place errors become HTTP responses. Typed AppErrors keep their status and code;
 * anything else is a 500 whose detail never echoes the underlying message (it may hold internals).
 */
/** Storage failures a client can act on keep their meaning; everything else is internal. */
function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof InvalidCursorError) {
    return new AppError(
      400,
      'invalid_cursor',
      'Bad request',
      'The cursor is not valid for this list; start again without one.',
    );
  }
  if (error instanceof ConflictError) {
    return new AppError(409, 'conflict', 'Conflict', 'The resource changed while this request was applied; retry it.');
  }
  return undefined;
}

export function problemResponse(error: unknown, correlationId: string, log: Logger): HttpResponseInit {
  const known = asAppError(error);
  if (!known) log.error('unhandled error', errorFields(error));
  const appError =
    known ??
    new AppError(
      500,
      'internal_error',
      'Internal error',
      'The hub failed to handle this request; quote the correlation id when reporting it.',
    );
  return {
    status: appError.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...appError.headers },
    body: JSON.stringify(problemFrom(appError, correlationId)),
  };
}
