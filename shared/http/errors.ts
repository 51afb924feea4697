/**
 * Typed errors with a stable `code`, mapped to problem+json in one place (shared/http/problem.ts).
 * Capabilities throw these; functions/ never builds error responses by hand.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    /** Extra members for the problem document (never secrets). */
    readonly extensions: Record<string, unknown> = {},
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(code: string, detail: string, extensions: Record<string, unknown> = {}) {
    super(400, code, 'Bad request', detail, extensions);
  }
}

export class ValidationError extends AppError {
  constructor(detail: string, errors: { path: string; message: string }[]) {
    super(400, 'validation_failed', 'The request is not valid', detail, { errors });
  }
}

export class UnauthorizedError extends AppError {
  constructor(code: string, detail: string) {
    super(401, code, 'Unauthorized', detail, {}, { 'WWW-Authenticate': 'Bearer' });
  }
}

export class ForbiddenError extends AppError {
  constructor(requiredScope: string) {
    super(403, 'insufficient_scope', 'Forbidden', `This API key lacks the scope "${requiredScope}".`, {
      requiredScope,
    });
  }
}

export class ResourceNotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super(404, 'not_found', 'Not found', `No ${resource} with id "${id}" exists.`, { resource, id });
  }
}

export class RouteNotFoundError extends AppError {
  constructor(method: string, path: string) {
    super(404, 'route_not_found', 'Not found', `No function serves ${method} ${path}.`);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(method: string, allowed: string[]) {
    super(
      405,
      'method_not_allowed',
      'Method not allowed',
      `${method} is not allowed here; use ${allowed.join(', ')}.`,
      { allowed },
      { Allow: allowed.join(', ') },
    );
  }
}

export class ConflictAppError extends AppError {
  constructor(code: string, detail: string, extensions: Record<string, unknown> = {}) {
    super(409, code, 'Conflict', detail, extensions);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', 'Payload too large', `The request body exceeds ${limitBytes} bytes.`, {
      limitBytes,
    });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(received: string | null) {
    super(
      415,
      'unsupported_media_type',
      'Unsupported media type',
      `Send the body as application/json${received ? `, not ${received}` : ''}.`,
      { expected: 'application/json' },
    );
  }
}

export class TooManyRequestsError extends AppError {
  constructor(code: string, detail: string, retryAfterSeconds: number, extensions: Record<string, unknown> = {}) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(
      429,
      code,
      'Too many requests',
      detail,
      { retry_after_seconds: seconds, ...extensions },
      { 'Retry-After': String(seconds) },
    );
  }
}
