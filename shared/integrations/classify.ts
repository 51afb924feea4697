import { isCertificateReason } from '../net/guard';
import { type Connector, type ExpiryWarning, VendorError, type VendorErrorKind } from '../vendors/contract';
import { DESTINATION_NOT_BOUND } from '../vendors/core/vendor-http';
import { HALO_AUTHORISATION_REQUIRED } from '../vendors/halopsa/auth';
import { ITGLUE_REGION_REFUSED } from '../vendors/itglue';
import type { ConnectionStateName } from './states';

/**
 * What a probe's outcome means for the admin (docs/design.md §7.2, docs/vendors.md §9):
 * - 401/403/404 and refused requests are configuration signals → `needs_attention`, never retried;
 * - 5xx, timeouts and resets → retried with backoff, then `disconnected`;
 * - 429 → retried after the vendor's Retry-After, then `disconnected`;
 * - a credential that expires within EXPIRY_WARNING_DAYS → `needs_attention` while still working.
 */
export const EXPIRY_WARNING_DAYS = 30;

export type RetryAdvice = { kind: 'none' } | { kind: 'backoff' } | { kind: 'retry-after'; delayMs: number };

export interface Classification {
  state: Exclude<ConnectionStateName, 'checking' | 'unknown'>;
  vendorStatus: number | null;
  vendorMessage: string | null;
  hint: string | null;
  retry: RetryAdvice;
  /** The error kind or `expiring`, for counters and logs. */
  reason: VendorErrorKind | 'expiring' | 'missing_scopes' | 'ok' | 'undecryptable' | 'internal';
}

function secretLabels(connector: Connector): string {
  const labels = connector.catalog.credentialFields.filter((f) => f.secret).map((f) => f.label);
  return labels.length > 0 ? labels.join(' / ') : 'credentials';
}

function configLabels(connector: Connector): string {
  const labels = connector.catalog.configFields.map((f) => f.label);
  return labels.length > 0 ? labels.join(', ') : 'configuration';
}

/** A sentence an admin can act on, specific to the vendor and the failure. */
export function hintFor(connector: Connector, error: VendorError): string {
  const vendor = connector.catalog.name;
  const status = error.httpStatus ? `${vendor} answered ${error.httpStatus}` : `${vendor} could not be reached`;
  switch (error.kind) {
    case 'auth':
      if (error.vendorCode === HALO_AUTHORISATION_REQUIRED) {
        return `${vendor} has no usable authorisation for this integration: POST /api/v1/integrations/{id}/oauth/authorize and open the URL it returns as a Halo admin (the redirect URI on the integration must be registered in the Halo application).`;
      }
      if (error.vendorCode === ITGLUE_REGION_REFUSED) {
        return `${status} in the region set on this integration. An IT Glue key works only in the region its account lives in (us, eu or au): set the region to the account's, or leave it blank and test again to have it detected. Re-enter the key only if it was revoked.`;
      }
      return `Re-enter the ${secretLabels(connector)}: ${status} (the credentials are wrong, expired or were rotated).`;
    case 'forbidden': {
      const needed = connector.permissionFor?.(error.operation);
      if (needed) {
        return `${status} to ${error.operation}: grant the app the permission ${needed} (with admin consent) at ${vendor}, then check again.`;
      }
      return `Check the API user's permissions and any IP allow-list at ${vendor}: ${status}.`;
    }
    case 'not_found':
      return `Check the ${configLabels(connector)}: ${status}, so the address, region or zone is probably wrong.`;
    case 'rejected':
      return `${status}: the request was refused; check the ${configLabels(connector)} and the vendor's message.`;
    case 'rate_limited':
      if (error.httpStatus === 403) {
        return `${vendor} has blocked the hub's address for a while (it does so after repeated 429s): ${status}. It lifts by itself; the hub checks again when ${vendor} said to.`;
      }
      return `${vendor} is rate limiting this account; the hub waits as asked. Reduce other tools' use of the same API account if it persists.`;
    case 'unavailable':
      return `${status}: the vendor is having trouble. Nothing to change here; the hub keeps checking every 5 minutes.`;
    case 'timeout':
      return `${vendor} did not answer in time. If this persists, check the vendor's status page and the base URL.`;
    case 'network':
      return `${status}: the connection failed. Check the base URL and that the host is reachable from Azure.`;
    case 'bad_response':
      return `The address answered, but not like the ${vendor} API: check the base URL.`;
    case 'blocked':
      if (isCertificateReason(error.vendorCode)) return certificateHint(connector, error.vendorCode);
      if (error.vendorCode === DESTINATION_NOT_BOUND) {
        return `The hub sends this integration's stored credentials only to the addresses they were saved for, and this call would have gone elsewhere. To use another ${vendor} address, enter the credentials again together with it.`;
      }
      return `The hub refuses to call this address (private, loopback or not https). Use the vendor's public https URL${connector.catalog.id === 'unifi' ? ", or let an admin allow this integration's private console address" : ''}.`;
  }
}

/**
 * The console's certificate is untrusted (self-signed, not pinned) or does not match the pin:
 * say where the fingerprint is read and where it goes (docs/integrations.md).
 */
function certificateHint(connector: Connector, reason: 'certificate_mismatch' | 'certificate_untrusted'): string {
  const mismatch = reason === 'certificate_mismatch';
  const first = mismatch
    ? 'The certificate the console presented is not the pinned one (it was renewed or replaced, or something else answers on that address).'
    : 'The console presents a certificate the hub cannot verify (consoles ship self-signed ones).';
  if (!connector.certificatePin) return `${first} Install a certificate from a public authority on the host.`;
  return `${first} Read its SHA-256 fingerprint where you trust the connection: open the console URL in a browser on its LAN, click the padlock / "Not secure" > certificate details > SHA-256 fingerprint, or run \`openssl s_client -connect <console>:443 </dev/null | openssl x509 -noout -fingerprint -sha256\`. Put it in the integration's config as certificateSha256 (an admin key is needed).`;
}

const CONFIG_SIGNALS: ReadonlySet<VendorErrorKind> = new Set([
  'auth',
  'forbidden',
  'not_found',
  'rejected',
  'blocked',
  'bad_response',
]);

export function classifyFailure(connector: Connector, error: unknown): Classification {
  if (!(error instanceof VendorError)) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'invalid_token') {
      return {
        state: 'needs_attention',
        vendorStatus: null,
        vendorMessage: null,
        hint: 'The stored credentials cannot be decrypted with the current keys (was the credential key rotated without its old key?). Re-enter the credentials.',
        retry: { kind: 'none' },
        reason: 'undecryptable',
      };
    }
    return {
      state: 'disconnected',
      vendorStatus: null,
      vendorMessage: null,
      hint: 'The check failed inside the hub; see the log line with this correlation id.',
      retry: { kind: 'backoff' },
      reason: 'internal',
    };
  }
  const base = {
    vendorStatus: error.httpStatus ?? null,
    vendorMessage: error.vendorMessage,
    hint: hintFor(connector, error),
    reason: error.kind,
  };
  if (CONFIG_SIGNALS.has(error.kind)) return { ...base, state: 'needs_attention', retry: { kind: 'none' } };
  if (error.kind === 'rate_limited' && error.retryAfterMs !== undefined) {
    return { ...base, state: 'disconnected', retry: { kind: 'retry-after', delayMs: error.retryAfterMs } };
  }
  return { ...base, state: 'disconnected', retry: { kind: 'backoff' } };
}

/** Success, unless something the integration depends on expires soon or a needed scope was not granted. */
export function classifySuccess(
  connector: Connector,
  expiries: ExpiryWarning[],
  nowMs: number,
  missingScopes: readonly string[] = [],
): Classification {
  if (missingScopes.length > 0) {
    return {
      state: 'needs_attention',
      vendorStatus: 200,
      vendorMessage: null,
      hint: `${connector.catalog.name} did not grant the scope${missingScopes.length === 1 ? '' : 's'} ${missingScopes.join(', ')}: add ${missingScopes.length === 1 ? 'it' : 'them'} to the application's permissions at ${connector.catalog.name} and authorise the integration again.`,
      retry: { kind: 'none' },
      reason: 'missing_scopes',
    };
  }
  const horizon = nowMs + EXPIRY_WARNING_DAYS * 86_400_000;
  const soon = expiries.filter((e) => Date.parse(e.at) <= horizon).sort((a, b) => a.at.localeCompare(b.at));
  const first = soon[0];
  if (first) {
    const day = first.at.slice(0, 10);
    const past = Date.parse(first.at) <= nowMs;
    return {
      state: 'needs_attention',
      vendorStatus: 200,
      vendorMessage: null,
      hint: `${first.what} ${past ? 'expired' : 'expires'} on ${day}: renew it at ${connector.catalog.name} and update the integration before then.`,
      retry: { kind: 'none' },
      reason: 'expiring',
    };
  }
  return {
    state: 'connected',
    vendorStatus: 200,
    vendorMessage: null,
    hint: null,
    retry: { kind: 'none' },
    reason: 'ok',
  };
}
