import { DomainError } from '../errors/domain-error';
import { API_REFERENCE_PATH, describeSuggestions, type RouteSuggestion } from './nearest-routes';

/**
 * Errors only the HTTP edge raises (routing, media types, body limits; authentication's are
 * shared/apikeys/errors.ts). They are
 * DomainErrors like any other: a code and a message, the status comes from ./error-table.ts.
 * Domain-neutral errors (not found, validation, too many requests) live in shared/errors.
 */
export {
  DomainError,
  ResourceNotFoundError,
  TooManyRequestsError,
  ValidationError,
} from '../errors/domain-error';

export class RouteNotFoundError extends DomainError {
  constructor(method: string, path: string, nearest: readonly RouteSuggestion[] = []) {
    super(
      'route_not_found',
      `No function serves ${method} ${path}.${describeSuggestions(nearest)} Every route: ${API_REFERENCE_PATH}.`,
      { nearestRoutes: nearest, reference: API_REFERENCE_PATH },
    );
  }
}

export class MethodNotAllowedError extends DomainError {
  constructor(
    method: string,
    readonly allowed: string[],
  ) {
    super('method_not_allowed', `${method} is not allowed here; use ${allowed.join(', ')}.`, { allowed });
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super('payload_too_large', `The request body exceeds ${limitBytes} bytes.`, { limitBytes });
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  constructor(received: string | null) {
    super('unsupported_media_type', `Send the body as application/json${received ? `, not ${received}` : ''}.`, {
      expected: 'application/json',
    });
  }
}
