import type { HttpResponseInit } from '@azure/functions';
import { errorFields, type Logger } from '../observability/logger';
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
export function problemResponse(error: unknown, correlationId: string, log: Logger): HttpResponseInit {
  const appError =
    error instanceof AppError
      ? error
      : new AppError(
          500,
          'internal_error',
          'Internal error',
          'The hub failed to handle this request; quote the correlation id when reporting it.',
        );
  if (!(error instanceof AppError)) log.error('unhandled error', errorFields(error));
  return {
    status: appError.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...appError.headers },
    body: JSON.stringify(problemFrom(appError, correlationId)),
  };
}
