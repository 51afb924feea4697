import { catalogCodeOf } from '../error-catalog/catalog-code';
import { OutboundUrlBlockedError } from '../net/guard';
import { OutboundRequestError } from '../net/guarded-fetch';

/**
 * Why an outbound call produced no HTTP answer, as the platform code an attempt, its counter and
 * the dashboard carry (docs/dashboard.md, "Error catalog"). Each is an error catalog entry with its
 * own remediation: a receiver owner fixes a DNS record, a certificate and a stopped listener in
 * different places, so one `network` code for all of them told nobody what to do.
 * `network` stays for a transport error none of the others names (and for counters written before
 * the split, docs/decisions.md §62).
 */
export const NETWORK_FAILURE_CODES = ['timeout', 'dns', 'tls', 'refused', 'reset', 'ssrf_blocked', 'network'] as const;
export type NetworkFailureCode = (typeof NETWORK_FAILURE_CODES)[number];

export interface NetworkFailure {
  code: NetworkFailureCode;
  /** A sentence for the attempt log: the host and the system code, never a path, query or header. */
  detail: string;
}

/** getaddrinfo's answers for a name that does not resolve (now or, for EAI_AGAIN, at the moment). */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_NONAME', 'EAI_FAIL']);
const REFUSED_CODES = new Set(['ECONNREFUSED']);
/** The peer (or something between) ended a connection that was open: a reset or a socket closed early. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ABORT_ERR']);
/** OpenSSL's verification codes that do not start with CERT_ (node passes them through as `code`). */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** The platform code of a system or undici error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED` …). */
export function networkCodeOf(errorCode: string | undefined): NetworkFailureCode {
  if (!errorCode) return 'network';
  if (DNS_CODES.has(errorCode)) return 'dns';
  if (REFUSED_CODES.has(errorCode)) return 'refused';
  if (RESET_CODES.has(errorCode)) return 'reset';
  if (TIMEOUT_CODES.has(errorCode) || /^UND_ERR_\w*TIMEOUT$/.test(errorCode)) return 'timeout';
  if (
    TLS_CODES.has(errorCode) ||
    errorCode.startsWith('CERT_') ||
    errorCode.startsWith('ERR_TLS_') ||
    errorCode.startsWith('ERR_SSL_') ||
    errorCode.startsWith('UNABLE_TO_VERIFY')
  ) {
    return 'tls';
  }
  return 'network';
}

/**
 * The failure of an outbound call that threw, or undefined when the error is not a transport
 * failure (a bug, a storage error): those keep propagating.
 */
export function classifyNetworkFailure(error: unknown): NetworkFailure | undefined {
  if (error instanceof OutboundUrlBlockedError) {
    // A name with no address is DNS's doing, a certificate refusal TLS's; the rest is the guard's.
    if (error.reason === 'unresolvable') return { code: 'dns', detail: error.message };
    if (error.reason === 'certificate_mismatch' || error.reason === 'certificate_untrusted') {
      return { code: 'tls', detail: error.message };
    }
    return { code: 'ssrf_blocked', detail: error.message };
  }
  if (error instanceof OutboundRequestError) {
    if (error.kind === 'timeout') return { code: 'timeout', detail: error.message };
    return { code: networkCodeOf(error.errorCode), detail: error.message };
  }
  return undefined;
}

/**
 * The code an attempt is counted under and the catalog entry explaining it (null for a 2xx: a
 * success needs no explaining). Rows written before attempts stored their code have only a status
 * (or, for a transport failure, nothing): they read as that status, or as `network`.
 */
export function attemptCodes(attempt: { code?: string | undefined; statusCode?: number | undefined }): {
  code: string;
  catalogCode: string | null;
} {
  const code = attempt.code ?? (attempt.statusCode !== undefined ? String(attempt.statusCode) : 'network');
  const ok = attempt.statusCode !== undefined && attempt.statusCode >= 200 && attempt.statusCode < 300;
  return { code, catalogCode: ok ? null : catalogCodeOf(code) };
}
