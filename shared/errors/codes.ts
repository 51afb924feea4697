/**
 * Every stable error code the hub answers with, in one union (docs/design.md §14.2: callers switch on `code` with
 * exhaustiveness checking). Domain code throws `DomainError` with one of these and no HTTP status;
 * shared/http/error-table.ts gives each its status and title, and the compiler refuses a code that
 * has no row there. Add a capability's codes in its own group.
 */
export const ERROR_CODES = [
  // Requests and validation (any capability)
  'validation_failed',
  'unknown_field',
  'malformed_json',
  'json_too_deep',
  'body_required',
  'invalid_cursor',
  'invalid_expiry',
  'bad_request',
  'payload_too_large',
  'unsupported_media_type',
  'route_not_found',
  'method_not_allowed',
  'not_found',
  'conflict',
  'already_exists',
  'internal_error',
  'service_unavailable',
  // Authentication and authorisation
  'api_key_missing',
  'api_key_invalid',
  'api_key_revoked',
  'api_key_expired',
  'tenant_disabled',
  'function_key_invalid',
  'insufficient_scope',
  'scope_escalation',
  'key_outranks_caller',
  'rate_limited',
  'too_many_failed_auth',
  // Per-tenant inbound webhook limits (shared/inbound/tenant-limits.ts)
  'tenant_rate_exceeded',
  'tenant_quota_exceeded',
  // Vendors and the network guard
  'vendor_error',
  'outbound_url_blocked',
  // Credentials at rest (shared/crypto/credential-cipher.ts)
  'credential_key_unavailable',
  'credentials_unreadable',
  // Integrations
  'integration_test_failed',
  'destination_change_needs_credentials',
  // Authorising an integration in a browser (shared/oauth)
  'oauth_not_available',
  'oauth_state_invalid',
  'oauth_denied',
  'expiry_date_required',
  // Outbound webhooks
  'attempt_in_flight',
  'subscription_disabled',
  'recover_in_flight',
  // Inbound webhooks, events and replay (shared/inbound, shared/replay)
  'webhook_not_found',
  'signature_missing',
  'signature_invalid',
  'signature_malformed',
  'timestamp_out_of_range',
  'client_state_mismatch',
  'replay_confirmation_required',
  'replay_in_flight',
  'replay_cooldown',
  'replay_rate_limit',
  // Pushing webhook registrations to vendors (shared/inbound/vendor-push.ts)
  'webhook_push_unsupported',
  'webhook_already_pushed',
  // Reconciling with a vendor (shared/reconcile)
  'reconcile_unsupported',
  // Sync runs (shared/sync)
  'sync_unsupported',
  'sync_already_running',
  'sync_run_finished',
  // Entity sync (shared/entities)
  'entity_changed',
  'conflict_resolved',
  'entity_merged',
  'entity_not_merged',
  // Pipeline processing: approvals of tool calls
  'approval_already_decided',
  'approval_expired',
  // Payload retention and erasure (shared/payload-erasure)
  'payload_erased',
  'payload_retention_too_long',
  // Team routing: the routing document's ETag-conditional PUT (shared/routing)
  'precondition_failed',
  'precondition_required',
  // The local host's HTTP edge (what the Functions front end answers before any function runs)
  'malformed_request',
  'request_timeout',
  'header_fields_too_large',
  // Idempotent creates (shared/idempotency)
  'idempotency_key_invalid',
  'idempotency_key_reused',
  'idempotency_key_in_flight',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const known = new Set<string>(ERROR_CODES);

export function isErrorCode(value: string): value is ErrorCode {
  return known.has(value);
}
