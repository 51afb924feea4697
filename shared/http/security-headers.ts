/**
 * Headers on every API response, errors included: nothing an API answers (least of all a secret
 * shown once) may be kept by a browser or proxy cache, and no response may be MIME-sniffed into
 * something executable. A route may add headers (the reference page adds its CSP) but not drop
 * these. The local host puts them on its own errors (404/405/400) too.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
});
