import type { ErrorCode } from '../errors/codes';
import { ERROR_TABLE } from '../http/error-table';
import type { CatalogSource, RemediationSource } from './entry';

/**
 * Every problem+json `code` the hub answers with (shared/errors/codes.ts) as a catalog entry. The
 * codes fall into a few groups that share where they can occur and what to do; `satisfies` makes a
 * new code without a meaning here a compile error, so the catalog never lags the code union.
 */
type Group =
  | 'request'
  | 'auth'
  | 'vendor'
  | 'credentials'
  | 'integration'
  | 'outbound'
  | 'receive'
  | 'replay'
  | 'push'
  | 'approval'
  | 'edge'
  | 'limit';

const MEANINGS = {
  validation_failed: ['request', 'The body, query or path failed its schema; the problem lists each field.'],
  unknown_field: ['request', 'The body carries a field the route does not know (fields are never silently dropped).'],
  malformed_json: ['request', 'The body is not valid JSON.'],
  json_too_deep: ['request', 'The JSON is nested deeper than any accepted payload.'],
  body_required: ['request', 'The route needs a body and none was sent.'],
  invalid_cursor: ['request', 'The paging cursor is not one this list issued (or it belongs to other filters).'],
  invalid_expiry: ['request', 'The expiry is in the past or beyond the allowed lifetime.'],
  bad_request: ['request', 'The request is not valid for this route.'],
  payload_too_large: ['request', 'The body is over the size limit of the route.'],
  unsupported_media_type: ['request', 'The body is not application/json.'],
  route_not_found: ['request', 'No route matches the path.'],
  method_not_allowed: ['request', 'The path exists but not for this method.'],
  not_found: ['request', 'The addressed record does not exist in this tenant.'],
  conflict: ['request', 'The change conflicts with the current state of the record.'],
  already_exists: ['request', 'A record with this identity already exists.'],
  internal_error: ['request', 'The hub failed unexpectedly; nothing was changed.'],
  service_unavailable: ['request', 'The hub could not reach a dependency (storage, queue, key vault).'],
  api_key_missing: ['auth', 'No API key was sent.'],
  api_key_invalid: ['auth', 'The API key is not known.'],
  api_key_revoked: ['auth', 'The API key was revoked.'],
  api_key_expired: ['auth', 'The API key is past its expiry.'],
  tenant_disabled: ['auth', 'The tenant of the key is disabled.'],
  function_key_invalid: ['auth', 'The Functions host key is wrong.'],
  insufficient_scope: ['auth', 'The key lacks the scope the route needs.'],
  scope_escalation: ['auth', 'A key may not create a key with scopes it does not hold.'],
  key_outranks_caller: ['auth', 'A key may not manage a key with more scopes than it holds.'],
  rate_limited: ['limit', 'The API key made more requests this minute than allowed.'],
  too_many_failed_auth: ['limit', 'Too many failed authentications from this address; it is paused.'],
  tenant_rate_exceeded: ['limit', "The tenant's inbound webhook rate per minute was exceeded (dashboard code 882)."],
  tenant_quota_exceeded: ['limit', "The tenant's daily inbound webhook quota was used up (dashboard code 883)."],
  vendor_error: ['vendor', 'The vendor refused or failed a call the hub made for the integration.'],
  outbound_url_blocked: [
    'outbound',
    'The network guard refused the address: private, loopback, metadata or otherwise reserved.',
  ],
  credential_key_unavailable: ['credentials', 'The key that encrypts stored credentials could not be loaded.'],
  credentials_unreadable: ['credentials', 'Stored credentials could not be decrypted with any known key.'],
  integration_test_failed: ['integration', 'The connection test of an integration failed at the vendor.'],
  destination_change_needs_credentials: [
    'integration',
    'A new vendor address was set without entering the credentials again (they are never sent to a new host unasked).',
  ],
  oauth_not_available: [
    'integration',
    'Browser authorisation was asked of an integration that does not use it, or PUBLIC_BASE_URL is not set.',
  ],
  oauth_state_invalid: [
    'integration',
    'The authorisation link was unknown, expired (10 minutes) or already used; nothing was stored.',
  ],
  oauth_denied: ['integration', 'The admin cancelled or the vendor refused the authorisation; nothing was stored.'],
  expiry_date_required: [
    'integration',
    'The vendor does not report when the key expires, so a new integration must say (the problem names the field and where the vendor shows it).',
  ],
  attempt_in_flight: ['outbound', 'An attempt of this delivery is running; a manual retry waits for it.'],
  subscription_disabled: [
    'outbound',
    'The subscription is disabled (by an admin, or after its endpoint answered 410).',
  ],
  recover_in_flight: ['outbound', 'A recover of this subscription is still running; wait for it to finish.'],
  webhook_not_found: ['receive', 'No active webhook has this id.'],
  signature_missing: ['receive', 'The delivery carries no signature.'],
  signature_invalid: ['receive', "The delivery's signature does not match the webhook secret."],
  signature_malformed: ['receive', 'The signature header cannot be parsed.'],
  timestamp_out_of_range: ['receive', "The signed timestamp is too far from the hub's clock."],
  client_state_mismatch: ['receive', 'The Microsoft Graph clientState does not match the webhook secret.'],
  replay_confirmation_required: ['replay', 'Replaying a succeeded event needs `confirm: true`.'],
  replay_in_flight: ['replay', 'A replay of this event is still running.'],
  replay_cooldown: ['replay', 'The event was replayed moments ago.'],
  replay_rate_limit: ['replay', 'The tenant replayed too many events this period.'],
  payload_erased: [
    'replay',
    'The event payload was erased (on request or past the tenant payload retention); the event cannot be replayed nor its deliveries retried.',
  ],
  payload_retention_too_long: ['request', 'The payload retention asked for is longer than EVENT_RETENTION_DAYS.'],
  webhook_push_unsupported: ['push', 'The vendor of this webhook has no API to register webhooks.'],
  webhook_already_pushed: ['push', 'The webhook is already registered at its vendor.'],
  reconcile_unsupported: ['push', 'The vendor of this integration has no registrations the hub can compare with.'],
  sync_unsupported: ['integration', 'The vendor of this integration cannot sync one of the entities asked for (yet).'],
  sync_already_running: ['integration', 'A sync run of this integration and entity is still running; stop it or wait.'],
  sync_run_finished: ['integration', 'The sync run has already finished; there is nothing to stop.'],
  entity_changed: ['integration', 'The canonical company changed while this request ran; send it again.'],
  conflict_resolved: ['integration', 'The sync conflict has already been resolved; there is nothing left to choose.'],
  entity_merged: ['integration', 'The company was merged into another; act on that one, or unmerge it.'],
  entity_not_merged: ['integration', 'The company is not merged into another; there is nothing to unmerge.'],
  approval_already_decided: ['approval', 'The tool-call approval was already approved or rejected.'],
  approval_expired: ['approval', 'The tool-call approval expired before a decision.'],
  precondition_failed: ['request', 'If-Match names a version the resource no longer has; read it again and retry.'],
  precondition_required: ['request', 'The change must say which version it replaces: send If-Match with the ETag.'],
  malformed_request: ['edge', 'The HTTP request itself could not be parsed.'],
  request_timeout: ['edge', 'The request was not received in time.'],
  header_fields_too_large: ['edge', 'The request headers are over the host limit.'],
  idempotency_key_invalid: [
    'request',
    'The Idempotency-Key header is empty, longer than 255 characters or not visible ASCII.',
  ],
  idempotency_key_reused: [
    'request',
    'This Idempotency-Key was first used with a different request (route, body or key).',
  ],
  idempotency_key_in_flight: [
    'request',
    'The first request with this Idempotency-Key is still running; retry shortly.',
  ],
} as const satisfies Record<ErrorCode, readonly [Group, string]>;

const NA_ADMIN_API = { na: 'An admin API answer; it is not a transaction of this type.' };
const NA_RECEIVE = { na: 'Only vendor deliveries to /api/hooks/{id} are verified this way.' };

const GROUPS: Record<Group, Record<keyof CatalogSource['remediation'], RemediationSource>> = {
  request: {
    inbound_webhook:
      "A delivery the hub could not accept as sent; check the vendor's webhook format. Replay the event once fixed.",
    outbound_webhook: NA_ADMIN_API,
    prebuilt_integration: NA_ADMIN_API,
    custom_node: NA_ADMIN_API,
    custom_event: 'Fix the publish request as the problem describes and send it again.',
  },
  auth: {
    inbound_webhook: { na: 'Deliveries are verified by signature, not API key.' },
    outbound_webhook: NA_ADMIN_API,
    prebuilt_integration: NA_ADMIN_API,
    custom_node: NA_ADMIN_API,
    custom_event: 'Publish with a current API key of an active tenant that holds the admin scope.',
  },
  limit: {
    inbound_webhook:
      'The sender should retry after Retry-After. If the volume is expected, raise INBOUND_TENANT_RATE_PER_MINUTE, or the daily quota of the tenant (PUT /api/v1/tenants/{id}/limits, operator; INBOUND_TENANT_DAILY_QUOTA is the default).',
    outbound_webhook: NA_ADMIN_API,
    prebuilt_integration: NA_ADMIN_API,
    custom_node: NA_ADMIN_API,
    custom_event: 'Wait for X-RateLimit-Reset (or Retry-After) before publishing again.',
  },
  vendor: {
    inbound_webhook: { na: 'Receiving calls no vendor.' },
    outbound_webhook: { na: 'Outbound deliveries call subscribers, not vendors.' },
    prebuilt_integration:
      "Read the vendor status on the probe or call; fix credentials, permissions or the integration's address.",
    custom_node:
      'The vendor refused or failed the tool call; the failure detail gives its status. Fix and replay the event.',
    custom_event: { na: 'Publishing calls no vendor.' },
  },
  credentials: {
    inbound_webhook: { na: 'Receiving reads webhook secrets, not integration credentials.' },
    outbound_webhook: { na: 'Subscription secrets are not the encrypted integration credentials.' },
    prebuilt_integration:
      'The operator must restore the credential encryption key (Key Vault) or, if it is lost, re-enter the credentials of each integration.',
    custom_node:
      'The tool step could not decrypt its integration credentials; the operator restores the key, then replay.',
    custom_event: { na: 'Publishing reads no credentials.' },
  },
  integration: {
    inbound_webhook: { na: 'An admin API answer about integrations.' },
    outbound_webhook: { na: 'An admin API answer about integrations.' },
    prebuilt_integration: 'Fix the integration as the problem says (credentials, address) and test it again.',
    custom_node: { na: 'An admin API answer about integrations.' },
    custom_event: { na: 'An admin API answer about integrations.' },
  },
  outbound: {
    inbound_webhook: { na: 'Receiving sends nothing out.' },
    outbound_webhook:
      'Point the subscription at a public address the hub may reach, or enable it again; a disabled one gets no deliveries.',
    prebuilt_integration:
      "The integration's address is refused by the network guard (private or reserved); use the vendor's public address.",
    custom_node: 'The tool call was refused by the network guard; fix the integration address, then replay.',
    custom_event: { na: 'Publishing itself sends nothing; its deliveries are outbound_webhook transactions.' },
  },
  receive: {
    inbound_webhook:
      "Make the vendor sign with the webhook's current secret (a rotated one verifies only in the grace period), keep its clock in sync, and make sure no proxy strips headers.",
    outbound_webhook: NA_RECEIVE,
    prebuilt_integration: NA_RECEIVE,
    custom_node: NA_RECEIVE,
    custom_event: NA_RECEIVE,
  },
  replay: {
    inbound_webhook: 'Wait for the running replay or the cooldown, or confirm the replay of a succeeded event.',
    outbound_webhook: { na: 'Replay is for inbound events.' },
    prebuilt_integration: { na: 'Replay is for inbound events.' },
    custom_node: 'Replay the event the SOP ran for once the cause is fixed.',
    custom_event: { na: 'Replay is for inbound events.' },
  },
  push: {
    inbound_webhook: 'Register the webhook URL in the vendor console by hand, or leave the existing registration.',
    outbound_webhook: { na: 'Pushing registers inbound webhooks.' },
    prebuilt_integration:
      'The vendor has no registration API (or it is already registered); nothing to fix at the vendor.',
    custom_node: { na: 'Pushing registers inbound webhooks.' },
    custom_event: { na: 'Pushing registers inbound webhooks.' },
  },
  approval: {
    inbound_webhook: { na: 'Approvals gate SOP tool steps.' },
    outbound_webhook: { na: 'Approvals gate SOP tool steps.' },
    prebuilt_integration: { na: 'Approvals gate SOP tool steps.' },
    custom_node: 'Decide approvals before they expire, or replay the event to ask again.',
    custom_event: { na: 'Approvals gate SOP tool steps.' },
  },
  edge: {
    inbound_webhook: 'The sender sent an HTTP request the host could not read; check its HTTP client or proxy.',
    outbound_webhook: { na: 'The host edge answers requests to the hub.' },
    prebuilt_integration: { na: 'The host edge answers requests to the hub.' },
    custom_node: { na: 'The host edge answers requests to the hub.' },
    custom_event: 'Send a well-formed HTTP request with headers under the host limit.',
  },
};

export const API_CODES: readonly CatalogSource[] = (Object.keys(MEANINGS) as ErrorCode[]).map((code) => {
  const [group, meaning] = MEANINGS[code];
  return {
    code,
    status: ERROR_TABLE[code].status,
    title: ERROR_TABLE[code].title,
    meaning,
    remediation: GROUPS[group],
    ...(code === 'tenant_rate_exceeded' ? { related: ['882'] } : {}),
    ...(code === 'tenant_quota_exceeded' ? { related: ['883'] } : {}),
  };
});
