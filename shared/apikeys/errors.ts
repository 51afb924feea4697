import { DomainError } from '../errors/domain-error';

/**
 * Authentication and authorisation refusals (401, 403): raised by API-key authentication and the
 * route handler's scope check; the status comes from shared/http/error-table.ts like any code.
 */
export class UnauthorizedError extends DomainError {
  constructor(
    code: 'api_key_missing' | 'api_key_invalid' | 'api_key_revoked' | 'api_key_expired' | 'tenant_disabled',
    detail: string,
  ) {
    super(code, detail);
  }
}

export class ForbiddenError extends DomainError {
  constructor(requiredScope: string) {
    super('insufficient_scope', `This API key lacks the scope "${requiredScope}".`, { requiredScope });
  }
}
