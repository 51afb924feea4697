import type { CatalogSource } from './entry';

/**
 * The HTTP statuses the dashboard names (docs/dashboard.md, "Error catalog"),
 * with what each means for each integration type here. `na` marks a status the hub cannot meet
 * for that type. The class entries (`3xx`, `4xx`, `5xx`) answer for any status not listed.
 */
export const HTTP_CODES: readonly CatalogSource[] = [
  {
    code: '308',
    status: 308,
    title: 'Permanent Redirect',
    meaning: 'The receiver says the resource lives at another URL for good.',
    remediation: {
      inbound_webhook: { na: 'The hub never redirects a vendor delivery.' },
      outbound_webhook:
        'Outbound deliveries do not follow redirects (a redirect could lead past the network guard). Update the subscription URL to the address in the Location header.',
      prebuilt_integration:
        "The vendor moved its API. Check the integration's base URL or region against the vendor's current address and update it.",
      custom_node:
        'The tool step reached a moved vendor endpoint: fix the integration the step uses, then replay the event.',
      custom_event: { na: 'Publishing answers 202 or a problem; it never redirects.' },
    },
  },
  {
    code: '400',
    status: 400,
    title: 'Bad Request',
    meaning: 'The request was malformed or failed validation.',
    remediation: {
      inbound_webhook:
        'The delivery could not be read (body not JSON, too deep, or a required header missing). Check the vendor webhook is configured for JSON and that no proxy rewrites the body.',
      outbound_webhook:
        'The receiver refused the payload. Check the receiver accepts this event type and the Standard Webhooks headers; the delivery detail shows its response excerpt.',
      prebuilt_integration:
        'The vendor refused a request the hub built. Check the integration configuration (ids, picklist values) and the event data the request came from.',
      custom_node:
        'The tool arguments rendered from the SOP were refused by the vendor. Check the step arguments of the SOP against the tool description.',
      custom_event:
        'The publish body failed validation: send `type` and `data` as documented; the problem lists the fields.',
    },
  },
  {
    code: '401',
    status: 401,
    title: 'Unauthorized',
    meaning: 'Authentication was missing or wrong.',
    remediation: {
      inbound_webhook:
        "The delivery's signature (or secret) did not verify. Make the sender use the webhook's current secret; after a rotation the old one is accepted only during the grace period.",
      outbound_webhook:
        'The receiver refused the hub. If it checks its own token or IP list, update it; it should verify the webhook-signature header with the subscription secret.',
      prebuilt_integration:
        "The vendor refused the integration's credentials. Re-enter them on the integration (they may have been rotated or the API user disabled).",
      custom_node:
        'The tool step ran with credentials the vendor refused: fix the integration credentials, then replay.',
      custom_event: 'The API key is missing, wrong, expired or revoked. Use a current key with the admin scope.',
    },
  },
  {
    code: '403',
    status: 403,
    title: 'Forbidden',
    meaning: 'The caller is known but not allowed to do this.',
    remediation: {
      inbound_webhook: { na: 'Deliveries are refused with 401 or 404, never 403.' },
      outbound_webhook: 'The receiver refused the request. Check its access rules (IP allow list, WAF) for the hub.',
      prebuilt_integration:
        'The vendor account lacks a permission, licence or allowed IP for this call. Grant the API user the security level or scope the tool needs.',
      custom_node: 'The tool step needs a permission the vendor account lacks; grant it, then replay the event.',
      custom_event: 'The API key lacks the admin scope that publishing needs; use a key that has it.',
    },
  },
  {
    code: '404',
    status: 404,
    title: 'Not Found',
    meaning: 'The addressed resource does not exist.',
    remediation: {
      inbound_webhook:
        'No active webhook has this id (deleted, disabled, its integration deleted or its tenant disabled). Re-create the webhook and give the vendor its new URL, or remove the vendor registration.',
      outbound_webhook: 'The receiver URL does not exist. Check the subscription URL path.',
      prebuilt_integration:
        "The vendor has no such resource or endpoint: check the integration's base URL, region or zone, and the ids the request used.",
      custom_node:
        'The record the tool step addressed does not exist at the vendor (deleted or wrong id); fix the SOP or replay.',
      custom_event: { na: 'The publish route always exists.' },
    },
  },
  {
    code: '405',
    status: 405,
    title: 'Method Not Allowed',
    meaning: 'The resource exists but not for this HTTP method.',
    remediation: {
      inbound_webhook: 'The sender used a method other than POST. Configure the vendor to POST its webhooks.',
      outbound_webhook:
        'The receiver does not accept POST at this URL. Point the subscription at its webhook endpoint.',
      prebuilt_integration:
        'The vendor endpoint does not accept this method; the API version may have changed. Report it with the probe detail.',
      custom_node:
        'The vendor refused the method of the tool call; the tool may need updating for the vendor API version.',
      custom_event: 'Publish with POST.',
    },
  },
  {
    code: '406',
    status: 406,
    title: 'Not Acceptable',
    meaning: 'The receiver cannot answer in a format the request accepts.',
    remediation: {
      inbound_webhook: { na: 'The hub answers deliveries in JSON whatever they accept.' },
      outbound_webhook:
        'The receiver does not produce a format matching the Accept header; let it answer JSON or any type.',
      prebuilt_integration: 'The vendor refused the Accept header of the call; the API version may have changed.',
      custom_node: 'The vendor refused the Accept header of the tool call; the tool may need updating.',
      custom_event: { na: 'The admin API answers JSON.' },
    },
  },
  {
    code: '408',
    status: 408,
    title: 'Request Timeout',
    meaning: 'The request was not completed in time.',
    remediation: {
      inbound_webhook: 'The sender did not finish sending its body in time. Check its network path to the hub.',
      outbound_webhook: 'The receiver timed the request out. Let it acknowledge fast (202) and work afterwards.',
      prebuilt_integration:
        'The vendor timed the request out; it is retried. If it persists, check the vendor status page.',
      custom_node: 'The vendor timed the tool call out; it is retried, then the event fails and can be replayed.',
      custom_event: 'The request body arrived too slowly; send it again.',
    },
  },
  {
    code: '409',
    status: 409,
    title: 'Conflict',
    meaning: 'The request conflicts with the current state.',
    remediation: {
      inbound_webhook: { na: 'A duplicate delivery answers 200 with the existing event, not 409.' },
      outbound_webhook:
        'The receiver reports a conflict (often it already processed the event). Make it idempotent on webhook-id.',
      prebuilt_integration:
        'The vendor refused a change that conflicts with its record state; check the record at the vendor.',
      custom_node:
        "The tool's change conflicts with the record at the vendor (already closed, already linked); adjust the SOP.",
      custom_event: { na: 'Publishing does not conflict.' },
    },
  },
  {
    code: '413',
    status: 413,
    title: 'Payload Too Large',
    meaning: 'The body is over the size limit.',
    remediation: {
      inbound_webhook:
        'The delivery body is over WEBHOOK_MAX_BODY_BYTES. Reduce what the vendor sends, or raise the setting.',
      outbound_webhook:
        "The receiver's body limit is smaller than the event. Raise it or subscribe to narrower event types.",
      prebuilt_integration: 'The vendor refused the size of a request; the tool input is too large.',
      custom_node: 'The tool step sent more than the vendor accepts; shorten the templated text in the SOP.',
      custom_event: 'The publish body is over API_MAX_BODY_BYTES; send smaller `data`.',
    },
  },
  {
    code: '429',
    status: 429,
    title: 'Too Many Requests',
    meaning: 'Too many requests in a period; retry after the time given.',
    remediation: {
      inbound_webhook:
        "The tenant's inbound rate (INBOUND_TENANT_RATE_PER_MINUTE) or daily quota was exceeded; the sender should retry after Retry-After. Raise the limits if the volume is expected.",
      outbound_webhook:
        'The receiver is throttling the hub; attempts back off and retry. Raise its limit or narrow the subscription.',
      prebuilt_integration:
        'The vendor is throttling this account. The hub backs off; if it persists, lower probe or sync frequency or ask the vendor for a higher limit.',
      custom_node: 'The vendor throttled the tool step; it is retried after the time the vendor asked.',
      custom_event: 'The API key made too many requests this minute; wait for X-RateLimit-Reset.',
    },
  },
  {
    code: '500',
    status: 500,
    title: 'Internal Server Error',
    meaning: 'The server failed unexpectedly.',
    remediation: {
      inbound_webhook: { na: 'The receive path answers a problem with a stable code, never a bare 500.' },
      outbound_webhook:
        'The receiver failed; attempts retry with backoff. Check the receiver logs with the webhook-id header.',
      prebuilt_integration: 'The vendor failed; the hub retries. Check the vendor status page if it persists.',
      custom_node: 'The vendor failed the tool call; it is retried, then the event fails and can be replayed.',
      custom_event: { na: 'Publishing answers a problem with a stable code, never a bare 500.' },
    },
  },
  {
    code: '502',
    status: 502,
    title: 'Bad Gateway',
    meaning: 'A proxy got an invalid answer from the server behind it.',
    remediation: {
      inbound_webhook: { na: 'The hub does not proxy deliveries.' },
      outbound_webhook: "The receiver's gateway could not reach its backend; attempts retry. Check the receiver.",
      prebuilt_integration:
        "The vendor's gateway failed; retried automatically. Check the vendor status page if it persists.",
      custom_node: "The vendor's gateway failed the tool call; it is retried.",
      custom_event: { na: 'Publishing does not proxy.' },
    },
  },
  {
    code: '503',
    status: 503,
    title: 'Service Unavailable',
    meaning: 'The server is overloaded or down for maintenance.',
    remediation: {
      inbound_webhook:
        'The hub could not reach its storage or queue; the sender should retry. Check the hub health at /api/healthz.',
      outbound_webhook: 'The receiver is unavailable; attempts retry with backoff.',
      prebuilt_integration:
        'The vendor is unavailable (maintenance or outage); probes and tools retry. Check the vendor status page.',
      custom_node:
        'The vendor was unavailable for the tool step; it is retried, then the event fails and can be replayed.',
      custom_event: 'The hub could not reach its storage; publish again.',
    },
  },
  {
    code: '504',
    status: 504,
    title: 'Gateway Timeout',
    meaning: 'A proxy did not get an answer from the server behind it in time.',
    remediation: {
      inbound_webhook: { na: 'The hub does not proxy deliveries.' },
      outbound_webhook: "The receiver's gateway timed out; let the receiver acknowledge fast and work afterwards.",
      prebuilt_integration: "The vendor's gateway timed out; retried automatically.",
      custom_node:
        "The vendor's gateway timed out during the tool step; it is retried. Check the vendor for a half-done write before replaying.",
      custom_event: { na: 'Publishing does not proxy.' },
    },
  },
  {
    code: '521',
    status: 521,
    title: 'Web Server Is Down',
    meaning: 'A CDN (Cloudflare) could not connect to the origin server.',
    remediation: {
      inbound_webhook: { na: 'Vendors reach the hub directly, not through a CDN the hub answers for.' },
      outbound_webhook:
        "The receiver's CDN cannot reach its origin: the receiver is down. Attempts retry; tell its owner.",
      prebuilt_integration: "The vendor's CDN cannot reach its origin (vendor outage); retried automatically.",
      custom_node: "The vendor's origin was down for the tool step; it is retried.",
      custom_event: { na: 'Publishing does not pass a CDN.' },
    },
  },
  {
    code: '523',
    status: 523,
    title: 'Origin Is Unreachable',
    meaning: 'A CDN (Cloudflare) could not route to the origin server.',
    remediation: {
      inbound_webhook: { na: 'Vendors reach the hub directly, not through a CDN the hub answers for.' },
      outbound_webhook:
        "The receiver's CDN cannot route to its origin (DNS or network at the receiver); tell its owner.",
      prebuilt_integration: "The vendor's CDN cannot route to its origin (vendor outage); retried automatically.",
      custom_node: "The vendor's origin was unreachable for the tool step; it is retried.",
      custom_event: { na: 'Publishing does not pass a CDN.' },
    },
  },
  {
    code: '3xx',
    status: null,
    title: 'Redirection',
    meaning: 'A redirect the catalog does not list; redirects are never followed.',
    remediation: {
      inbound_webhook: { na: 'The hub never redirects a delivery.' },
      outbound_webhook: 'Point the subscription at the final URL; deliveries do not follow redirects.',
      prebuilt_integration: "Check the integration's base URL or region; the vendor redirected the call.",
      custom_node: "Check the integration's base URL; the vendor redirected the tool call.",
      custom_event: { na: 'Publishing never redirects.' },
    },
  },
  {
    code: '4xx',
    status: null,
    title: 'Client Error',
    meaning: 'A refusal the catalog does not list by number: the request was refused as sent.',
    remediation: {
      inbound_webhook: "Check the sender's configuration against the webhook (URL, secret, body format).",
      outbound_webhook: 'The receiver refused the delivery; its response excerpt on the delivery says why.',
      prebuilt_integration: "The vendor refused the call; check the integration's configuration and permissions.",
      custom_node: 'The vendor refused the tool call; check the SOP step arguments and the integration.',
      custom_event: 'The request was refused; the problem body names the cause.',
    },
  },
  {
    code: '5xx',
    status: null,
    title: 'Server Error',
    meaning: 'A failure the catalog does not list by code: the other side (or the hub) failed.',
    remediation: {
      inbound_webhook:
        'The hub failed to process the event; replay it, and report it with its correlation id if it repeats.',
      outbound_webhook: 'The receiver failed; attempts retry with backoff.',
      prebuilt_integration: 'The vendor failed; calls are retried. Check the vendor status page if it persists.',
      custom_node: 'The tool step failed on the server side; it is retried, then the event can be replayed.',
      custom_event: 'The hub failed; publish again and report the correlation id if it repeats.',
    },
  },
];
