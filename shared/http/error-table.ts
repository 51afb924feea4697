import type { ErrorCode } from '../errors/codes';

export interface ErrorMapping {
  status: number;
  title: string;
}

/**
 * The single table that turns a domain error code into an HTTP status and problem title
 * (docs/design.md §5.2, §14.2). `satisfies` makes a new code without a
 * row a compile error.
 */
export const ERROR_TABLE = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  unknown_field: { status: 400, title: 'Bad request' },
  malformed_json: { status: 400, title: 'Bad request' },
  json_too_deep: { status: 400, title: 'Bad request' },
  body_required: { status: 400, title: 'Bad request' },
  invalid_cursor: { status: 400, title: 'Bad request' },
  invalid_expiry: { status: 400, title: 'Bad request' },
  bad_request: { status: 400, title: 'Bad request' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  route_not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  already_exists: { status: 409, title: 'Conflict' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  api_key_missing: { status: 401, title: 'Unauthorized' },
  api_key_invalid: { status: 401, title: 'Unauthorized' },
  api_key_revoked: { status: 401, title: 'Unauthorized' },
  api_key_expired: { status: 401, title: 'Unauthorized' },
  tenant_disabled: { status: 401, title: 'Unauthorized' },
  function_key_invalid: { status: 401, title: 'Unauthorized' },
  insufficient_scope: { status: 403, title: 'Forbidden' },
  scope_escalation: { status: 403, title: 'Forbidden' },
  key_outranks_caller: { status: 403, title: 'Forbidden' },
  rate_limited: { status: 429, title: 'Too many requests' },
  too_many_failed_auth: { status: 429, title: 'Too many requests' },
  tenant_rate_exceeded: { status: 429, title: 'Tenant inbound webhook rate exceeded' },
  tenant_quota_exceeded: { status: 429, title: 'Tenant daily inbound webhook quota exceeded' },
  vendor_error: { status: 502, title: 'The vendor refused or failed the request' },
  outbound_url_blocked: { status: 400, title: 'Outbound URL not allowed' },
  credential_key_unavailable: { status: 503, title: 'Credential encryption key unavailable' },
  credentials_unreadable: { status: 500, title: 'Stored credentials could not be decrypted' },
  integration_test_failed: { status: 422, title: 'The connection test failed' },
  oauth_not_available: { status: 422, title: 'This integration cannot be authorised in a browser' },
  oauth_state_invalid: { status: 400, title: 'The authorisation link is not valid' },
  oauth_denied: { status: 400, title: 'The vendor did not authorise the integration' },
  expiry_date_required: { status: 422, title: 'The credentials need their expiry date' },
  destination_change_needs_credentials: {
    status: 422,
    title: 'A new vendor address needs the credentials entered again',
  },
  attempt_in_flight: { status: 409, title: 'An attempt of this delivery is in flight' },
  subscription_disabled: { status: 409, title: 'The subscription is disabled' },
  recover_in_flight: { status: 409, title: 'A recover of this subscription is running' },
  webhook_not_found: { status: 404, title: 'Not found' },
  signature_missing: { status: 401, title: 'Webhook signature missing' },
  signature_invalid: { status: 401, title: 'Webhook signature invalid' },
  signature_malformed: { status: 401, title: 'Webhook signature malformed' },
  timestamp_out_of_range: { status: 401, title: 'Webhook timestamp out of range' },
  client_state_mismatch: { status: 401, title: 'Webhook clientState mismatch' },
  replay_confirmation_required: { status: 422, title: 'Replay of a succeeded event needs confirmation' },
  replay_in_flight: { status: 409, title: 'A replay of this event is in flight' },
  replay_cooldown: { status: 429, title: 'This event was replayed moments ago' },
  payload_erased: { status: 410, title: 'The payload was erased' },
  payload_retention_too_long: { status: 422, title: 'Payload retention beyond the platform maximum' },
  replay_rate_limit: { status: 429, title: 'Too many replays' },
  webhook_push_unsupported: { status: 422, title: 'This webhook cannot be pushed to its vendor' },
  webhook_already_pushed: { status: 409, title: 'The webhook is already registered at its vendor' },
  reconcile_unsupported: { status: 422, title: 'This integration has nothing to reconcile with its vendor' },
  sync_unsupported: { status: 422, title: 'This integration cannot sync what was asked' },
  sync_already_running: { status: 409, title: 'A sync of this integration and entity is running' },
  sync_run_finished: { status: 409, title: 'The sync run has already finished' },
  entity_changed: { status: 409, title: 'The entity changed while the request ran' },
  conflict_resolved: { status: 409, title: 'The conflict has already been resolved' },
  entity_merged: { status: 409, title: 'The company is merged into another' },
  entity_not_merged: { status: 409, title: 'The company is not merged into another' },
  approval_already_decided: { status: 409, title: 'The approval was already decided' },
  approval_expired: { status: 409, title: 'The approval expired' },
  precondition_failed: { status: 412, title: 'The resource changed since it was read' },
  precondition_required: { status: 428, title: 'The request must be conditional (If-Match)' },
  malformed_request: { status: 400, title: 'Malformed request' },
  request_timeout: { status: 408, title: 'Request timeout' },
  header_fields_too_large: { status: 431, title: 'Request header fields too large' },
  idempotency_key_invalid: { status: 400, title: 'Invalid Idempotency-Key header' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused with a different request' },
  idempotency_key_in_flight: { status: 409, title: 'A request with this Idempotency-Key is in flight' },
} as const satisfies Record<ErrorCode, ErrorMapping>;

export function errorMapping(code: ErrorCode): ErrorMapping {
  return ERROR_TABLE[code];
}
