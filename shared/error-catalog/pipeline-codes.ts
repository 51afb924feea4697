import type { ErrorType } from '../events/contract';
import type { CatalogSource } from './entry';

/**
 * Platform codes that are no HTTP answer of the hub: the error types an inbound event or a SOP step
 * fails with (shared/events/contract.ts ERROR_TYPES), what an outbound attempt or a vendor call
 * fails with when no HTTP status came back (timeout, refused address …), a probe's verdict, and the
 * dashboard's numbered codes with the nearest meaning this hub has.
 */
const NA_INBOUND = { na: 'Not a receive or processing outcome of an inbound event.' };
const NA_OUTBOUND = { na: 'Outbound deliveries fail with the receiver status or a network code.' };
const NA_PUBLISH = { na: 'Publishing answers with an HTTP problem; pipeline error types do not apply.' };
const NA_VENDOR = { na: 'Not an outcome of a connector call.' };

const ERROR_TYPE_ENTRIES = {
  no_sop_matched: {
    title: 'No SOP matched',
    meaning: 'The event was valid but no enabled SOP matched its source and type.',
    remediation: {
      inbound_webhook:
        'Create or enable a SOP for this source and event type, then replay the event; or stop the vendor sending it.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: { na: 'No SOP ran, so no step did.' },
      custom_event: NA_PUBLISH,
    },
  },
  validation_error: {
    title: 'Validation error',
    meaning: "The event's payload does not match the vendor schema.",
    remediation: {
      inbound_webhook: "Check the vendor's webhook format (version, fields enabled); the failure names the field.",
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: 'A step argument rendered into an invalid value; fix the SOP template.',
      custom_event: NA_PUBLISH,
    },
  },
  signature_invalid: {
    title: 'Signature invalid',
    meaning: 'A delivery was refused at receive because it did not verify.',
    remediation: {
      inbound_webhook: "Make the sender use the webhook's current secret and sign the exact body it sends.",
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: { na: 'Steps run only for verified events.' },
      custom_event: NA_PUBLISH,
    },
  },
  tool_execution_error: {
    title: 'Tool execution error',
    meaning: 'A SOP tool step failed: unknown tool, bad arguments or the vendor refused it.',
    remediation: {
      inbound_webhook:
        'The event failed in a SOP step; open it to see the step, fix the SOP or integration and replay.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: 'The vendor refused the tool call; its status is on the failure.',
      custom_node: 'Fix the step (tool name, arguments) in the SOP, then replay the event.',
      custom_event: NA_PUBLISH,
    },
  },
  tool_config_error: {
    title: 'Tool configuration error',
    meaning: 'A tool step has no usable integration (none set, none default, or of the wrong vendor).',
    remediation: {
      inbound_webhook: 'Set a default integration for the vendor or name one in the SOP step, then replay.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: 'Create or fix the integration the tool needs.',
      custom_node: 'Give the step an integration of the tool vendor, then replay.',
      custom_event: NA_PUBLISH,
    },
  },
  vendor_unavailable: {
    title: 'Vendor unavailable',
    meaning: 'The vendor failed or timed out on every retry.',
    remediation: {
      inbound_webhook: 'Replay the event once the vendor is back.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: "Check the vendor's status page; probes show when it is back.",
      custom_node: 'Replay the event once the vendor is back; check it for a half-done write first.',
      custom_event: NA_PUBLISH,
    },
  },
  rate_limited: {
    title: 'Rate limited',
    meaning: 'The vendor kept throttling the hub past the retries.',
    remediation: {
      inbound_webhook: 'Replay later; if it repeats, reduce what SOPs do per event.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: 'Lower probe or sync frequency or ask the vendor for a higher limit.',
      custom_node: 'The step was throttled past its retries; replay later.',
      custom_event: NA_PUBLISH,
    },
  },
  approval_rejected: {
    title: 'Approval rejected',
    meaning: 'A person rejected the tool call the SOP asked to approve.',
    remediation: {
      inbound_webhook: 'Nothing to fix unless the rejection was a mistake; then replay the event.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: 'The step was rejected by its approver; change the SOP if such steps should not be asked.',
      custom_event: NA_PUBLISH,
    },
  },
  approval_expired: {
    title: 'Approval expired',
    meaning: 'Nobody decided the approval in time.',
    remediation: {
      inbound_webhook: 'Replay the event to ask again, and make sure approvers are notified.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: 'Decide approvals before they expire, or replay the event.',
      custom_event: NA_PUBLISH,
    },
  },
  outcome_unknown: {
    title: 'Outcome unknown',
    meaning: 'The process stopped during a vendor write, so whether it happened is not known; it was not sent again.',
    remediation: {
      inbound_webhook: 'Check the record at the vendor (the failure says where); replay only if the write is missing.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: 'Check the record at the vendor before any retry.',
      custom_node: 'Check the record at the vendor; replay only if the write is missing.',
      custom_event: NA_PUBLISH,
    },
  },
  integration_missing: {
    title: 'Integration missing',
    meaning: 'The integration a step or webhook belongs to was deleted.',
    remediation: {
      inbound_webhook: 'Re-create the integration (and its webhook), or remove the SOP step that needs it.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: 'Re-create the integration.',
      custom_node: 'Point the step at an existing integration, then replay.',
      custom_event: NA_PUBLISH,
    },
  },
  crashed: {
    title: 'Crashed',
    meaning: 'A stage handler kept failing unexpectedly until the queue gave up (dashboard code 804).',
    remediation: {
      inbound_webhook:
        'Unable to process the event: replay it; if it crashes again, report it with its correlation id.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: 'The step crashed; replay the event, and report it if it repeats.',
      custom_event: NA_PUBLISH,
    },
    related: ['804'],
  },
  internal_error: {
    title: 'Internal error',
    meaning: 'The hub failed to process the event (dashboard code 804).',
    remediation: {
      inbound_webhook: 'Unable to process the event: replay it; report it with its correlation id if it repeats.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: 'The hub failed around the vendor call; report it with the probe or event detail.',
      custom_node: 'The hub failed the step; replay the event.',
      custom_event: NA_PUBLISH,
    },
    related: ['804'],
  },
} satisfies Record<ErrorType, Omit<CatalogSource, 'code' | 'status'>>;

const NA_INBOUND_CALL = { na: 'Receiving makes no outbound call.' };

/** What a call fails with when no HTTP status came back (outbound attempts and connector calls). */
const CALL_ENTRIES: readonly CatalogSource[] = [
  {
    code: 'timeout',
    status: null,
    title: 'Timed out',
    meaning: 'No answer came back within the call timeout.',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook:
        'The receiver is slow: let it answer 2xx at once and work afterwards. Attempts retry with backoff.',
      prebuilt_integration:
        'The vendor did not answer in time; retried automatically. Check its status page if it persists.',
      custom_node: 'The vendor did not answer the tool call in time; check for a half-done write before replaying.',
      custom_event: NA_PUBLISH,
    },
  },
  {
    code: 'dns',
    status: null,
    title: 'Host name did not resolve',
    meaning:
      'DNS returned no address for the host (ENOTFOUND), or the resolver could not answer at that moment (EAI_AGAIN), so no connection was made.',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook:
        'Check the subscription URL for a typo and that its DNS record exists publicly (not only on an internal resolver). Attempts retry with backoff, which covers a passing resolver fault.',
      prebuilt_integration:
        "Check the integration's base URL, region or zone: the vendor host it builds does not resolve.",
      custom_node: "The tool's vendor host did not resolve; fix the integration address, then replay.",
      custom_event: NA_PUBLISH,
    },
    related: ['network'],
  },
  {
    code: 'tls',
    status: null,
    title: 'TLS certificate or handshake failed',
    meaning:
      'The host answered but its certificate was not accepted (self-signed, expired, issued for another name, incomplete chain) or the TLS handshake failed. Nothing was sent.',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook:
        'Give the receiver a certificate from a public authority, valid now, for the exact host name in the subscription URL, and serve the full chain (intermediates included).',
      prebuilt_integration:
        "Check the vendor address is the vendor's own https endpoint; a proxy or an on-premises console with its own certificate needs a pinned fingerprint where the connector supports one.",
      custom_node: "The tool's vendor refused TLS; fix the integration address or certificate pin, then replay.",
      custom_event: NA_PUBLISH,
    },
    related: ['network'],
  },
  {
    code: 'refused',
    status: null,
    title: 'Connection refused',
    meaning:
      'The host resolved, but nothing accepted a connection on that port (ECONNREFUSED): the receiver is down or listens elsewhere.',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook:
        'Start the receiver, or fix the port in the subscription URL (https uses 443 unless one is given); check a firewall is not rejecting the hub. Attempts retry with backoff.',
      prebuilt_integration:
        "Check the port in the integration's base URL; the vendor host accepts no connection there.",
      custom_node: 'The vendor refused the connection for the tool call; replay once it is reachable.',
      custom_event: NA_PUBLISH,
    },
    related: ['network'],
  },
  {
    code: 'reset',
    status: null,
    title: 'Connection reset',
    meaning:
      'The connection was open but the other side (or a proxy between) closed or reset it before a complete answer (ECONNRESET, socket closed).',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook:
        "Check the receiver's logs for a crash or a request-size or idle limit, and any load balancer or WAF in front of it. Attempts retry with backoff.",
      prebuilt_integration:
        'Usually passing; retried automatically. If it persists, check a proxy between the hub and the vendor.',
      custom_node:
        'The vendor dropped the tool call mid-way: check at the vendor whether the write happened before replaying.',
      custom_event: NA_PUBLISH,
    },
    related: ['network'],
  },
  {
    code: 'ssrf_blocked',
    status: null,
    title: 'Refused by the network guard (SSRF)',
    meaning:
      'The URL or the address it resolved to is one the hub never calls (private, loopback, link-local, metadata, plain http in production, or a reserved port), so nothing was sent.',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook:
        'Use a public https receiver address. A name that resolves to a private address is refused too, even when it looks public.',
      prebuilt_integration: "Use the vendor's public https address for the integration.",
      custom_node: "Fix the integration's address to a public one, then replay.",
      custom_event: NA_PUBLISH,
    },
    related: ['outbound_url_blocked', 'blocked'],
  },
  {
    code: 'network',
    status: null,
    title: 'Connection failed',
    meaning:
      'The connection failed before an answer for a reason none of dns, tls, refused, reset or timeout names (network unreachable, host unreachable). Counters from before the split also hold DNS, TLS, refused and reset failures under this code.',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook:
        'Check the subscription host is reachable from the internet; the attempt error names the system code.',
      prebuilt_integration:
        "Check the integration's address (host, region) and that the vendor is reachable; the error detail names the cause.",
      custom_node:
        'The vendor could not be reached for the tool call; fix the integration address or wait for the vendor, then replay.',
      custom_event: NA_PUBLISH,
    },
    related: ['dns', 'tls', 'refused', 'reset'],
  },
  {
    code: 'blocked',
    status: null,
    title: 'Refused by the network guard (SSRF)',
    meaning:
      'The address resolves to a private, loopback, link-local or metadata range, so the hub refused to call it. Outbound attempts now count this as ssrf_blocked; connector calls and older counters still use this code.',
    remediation: {
      inbound_webhook: NA_INBOUND_CALL,
      outbound_webhook: 'Use a public receiver address; the hub never calls private networks.',
      prebuilt_integration: "Use the vendor's public address for the integration.",
      custom_node: "Fix the integration's address to a public one, then replay.",
      custom_event: NA_PUBLISH,
    },
    related: ['outbound_url_blocked', 'ssrf_blocked'],
  },
];

/** A probe's verdict when the vendor gave no HTTP status (the other verdicts carry one). */
const PROBE_ENTRIES: readonly CatalogSource[] = [
  [
    'auth',
    'Credentials refused',
    'The vendor refused the credentials.',
    'Re-enter the credentials on the integration.',
  ],
  [
    'forbidden',
    'Not permitted',
    'The vendor account lacks a permission, licence or allowed IP.',
    'Grant the API user what the call needs.',
  ],
  [
    'not_found',
    'Not found at the vendor',
    'Wrong base URL, region, zone or id.',
    "Check the integration's address and ids.",
  ],
  [
    'rejected',
    'Refused by the vendor',
    'The vendor refused the request as sent.',
    'Check the integration configuration.',
  ],
  [
    'unavailable',
    'Vendor unavailable',
    'The vendor answered 5xx.',
    'Wait for the vendor; probes show when it is back.',
  ],
  [
    'bad_response',
    'Unreadable vendor answer',
    'A 2xx answer the connector could not read.',
    'The vendor API may have changed; report it.',
  ],
  ['expiring', 'Credentials expiring', 'The credentials work but expire soon.', 'Rotate them before they expire.'],
  [
    'missing_scopes',
    'Scopes not granted',
    'The vendor authorised the integration without some scopes the hub needs; the status names them.',
    'Add the named scopes to the vendor application and authorise the integration again.',
  ],
  [
    'undecryptable',
    'Credentials unreadable',
    'The stored credentials cannot be decrypted.',
    'Restore the encryption key or re-enter them.',
  ],
  ['internal', 'Probe failed in the hub', 'The probe could not run.', 'Report it with the probe detail.'],
].map(([code, title, meaning, fix]) => ({
  code: code as string,
  status: null,
  title: title as string,
  meaning: meaning as string,
  remediation: {
    inbound_webhook: NA_INBOUND,
    outbound_webhook: NA_OUTBOUND,
    prebuilt_integration: fix as string,
    custom_node: `The tool step's integration has the same problem: ${(fix as string).toLowerCase()} Then replay the event.`,
    custom_event: NA_PUBLISH,
  },
}));

const NO_EQUIVALENT = (what: string) => ({
  inbound_webhook: { na: `This hub has no ${what}.` },
  outbound_webhook: { na: `This hub has no ${what}.` },
  prebuilt_integration: { na: `This hub has no ${what}.` },
  custom_node: { na: `This hub has no ${what}.` },
  custom_event: { na: `This hub has no ${what}.` },
});

/** The dashboard's numbered platform codes, each with the nearest meaning here (docs/dashboard.md). */
const NUMBERED_ENTRIES: readonly CatalogSource[] = [
  {
    code: '804',
    status: null,
    title: 'Unable to process the event',
    meaning:
      'An inbound event could not be processed: its stage crashed or failed inside the hub. Counted here as `crashed` or `internal_error`.',
    remediation: {
      inbound_webhook: 'Replay the event; if it fails again, report it with its correlation id.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: { na: 'A failed step is 811 or 816.' },
      custom_event: NA_PUBLISH,
    },
    related: ['crashed', 'internal_error'],
  },
  {
    code: '811',
    status: null,
    title: 'Action submission failed',
    meaning: 'A SOP tool step sent its action to the vendor and the vendor refused or failed it.',
    remediation: {
      inbound_webhook: {
        na: 'The step failure counts as custom_node; the event then ends failed with its error type.',
      },
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: { na: "The vendor call itself counts with the vendor's status." },
      custom_node:
        "Open the failure: the vendor's status says why (credentials, permission, record state). Fix it, then replay.",
      custom_event: NA_PUBLISH,
    },
    related: ['tool_execution_error', 'vendor_unavailable'],
  },
  {
    code: '816',
    status: null,
    title: 'Action parameters not resolvable',
    meaning: "A SOP step's argument template could not be resolved from the event (unknown path, unbalanced braces).",
    remediation: {
      inbound_webhook: { na: 'The step failure counts as custom_node.' },
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: { na: 'No vendor call was made.' },
      custom_node: 'Fix the placeholders in the SOP step (they look like {{event.subject}}), then replay the event.',
      custom_event: NA_PUBLISH,
    },
  },
  {
    code: '844',
    status: null,
    title: 'User profile not found (no equivalent)',
    meaning: 'The dashboard names this for missing user profiles; this hub keeps no user profiles and never emits it.',
    remediation: NO_EQUIVALENT('user profiles'),
    emitted: false,
  },
  {
    code: '852',
    status: null,
    title: 'Contact policy refused (no equivalent)',
    meaning:
      'The dashboard names this for a contact policy refusal; this hub has no contact policies and never emits it.',
    remediation: NO_EQUIVALENT('contact policies'),
    emitted: false,
  },
  {
    code: '882',
    status: 429,
    title: 'Tenant rate exceeded',
    meaning:
      "The tenant's inbound webhook rate per minute was exceeded; the delivery was refused with 429 and Retry-After.",
    remediation: {
      inbound_webhook:
        'The vendor should retry after Retry-After. If the rate is expected, raise INBOUND_TENANT_RATE_PER_MINUTE; otherwise find the webhook sending the burst on the dashboard.',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: { na: 'Applies to inbound deliveries only.' },
      custom_event: { na: 'Publishing is limited per API key (rate_limited).' },
    },
    related: ['tenant_rate_exceeded'],
  },
  {
    code: '883',
    status: 429,
    title: 'Tenant quota exceeded',
    meaning: "The tenant's daily inbound webhook quota (set by the operator) is used up until midnight UTC.",
    remediation: {
      inbound_webhook:
        'Deliveries resume at midnight UTC. If the volume is expected, the operator raises or removes the quota of the tenant (PUT /api/v1/tenants/{id}/limits with dailyInboundQuota; INBOUND_TENANT_DAILY_QUOTA is the default for tenants without one).',
      outbound_webhook: NA_OUTBOUND,
      prebuilt_integration: NA_VENDOR,
      custom_node: { na: 'Applies to inbound deliveries only.' },
      custom_event: { na: 'Publishing has no daily quota.' },
    },
    related: ['tenant_quota_exceeded'],
  },
  {
    code: '884',
    status: null,
    title: 'Not used by this hub (no equivalent)',
    meaning: 'The dashboard reserves this code; nothing in this hub has its meaning and it is never emitted.',
    remediation: NO_EQUIVALENT('equivalent of this code'),
    emitted: false,
  },
];

export const PIPELINE_CODES: readonly CatalogSource[] = [
  ...Object.entries(ERROR_TYPE_ENTRIES).map(([code, entry]) => ({ code, status: null, ...entry })),
  ...CALL_ENTRIES,
  ...PROBE_ENTRIES,
  ...NUMBERED_ENTRIES,
];
