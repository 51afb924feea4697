import { DomainError } from '../shared/errors/domain-error';

/**
 * Turns a request line's target and Host header into a URL, or refuses the request with a 400
 * `malformed_request`. Node's parser accepts much that no Functions front end would pass on
 * (`Host: [`, `Host: x:99999`, `GET http://elsewhere/…`), and `new URL` throws on some of it, so
 * everything is checked here, before any handler sees the request. Messages never echo the input:
 * it is attacker-controlled and may be large.
 */
export class MalformedRequestError extends DomainError {
  constructor(problem: string) {
    super('malformed_request', `The request is malformed: ${problem}.`);
  }
}

/** A DNS name, IPv4 address or bracketed IPv6 literal, with an optional decimal port. */
const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?$/;

function hostOf(hostHeader: string | undefined, httpVersion: string): string {
  if (hostHeader === undefined || hostHeader === '') {
    // HTTP/1.0 predates Host; HTTP/1.1 makes it mandatory (RFC 9112 §3.2).
    if (httpVersion === '1.0') return 'localhost';
    throw new MalformedRequestError('HTTP/1.1 requests need a Host header');
  }
  const match = HOST_HEADER.exec(hostHeader);
  if (!match) throw new MalformedRequestError('the Host header is not a host[:port]');
  if (match[1] !== undefined && Number(match[1]) > 65535) {
    throw new MalformedRequestError('the Host header names a port outside 0-65535');
  }
  return hostHeader;
}

/** Every `%` must start a valid escape and the escapes must decode to UTF-8. */
export function assertDecodable(path: string): void {
  try {
    decodeURIComponent(path);
  } catch {
    throw new MalformedRequestError('the path contains an invalid percent-escape');
  }
}

/** Decodes one path segment already known to come from a checked path; still never throws a URIError. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MalformedRequestError('the path contains an invalid percent-escape');
  }
}

export function parseRequestTarget(
  target: string | undefined,
  hostHeader: string | undefined,
  httpVersion: string,
): URL {
  // Only origin-form ("/path?query"): absolute-form is for proxies, authority-form for CONNECT,
  // asterisk-form for server-wide OPTIONS; the host serves none of those.
  if (!target?.startsWith('/')) throw new MalformedRequestError('the request target must be a path starting with "/"');
  const host = hostOf(hostHeader, httpVersion);
  let url: URL;
  try {
    // Concatenated, not resolved against a base: "//elsewhere/x" stays a path on this host.
    url = new URL(`http://${host}${target}`);
  } catch {
    throw new MalformedRequestError('the request target or Host header cannot be parsed');
  }
  if (url.pathname.startsWith('//')) {
    // Still a path here, but a protocol-relative URL to anything that later resolves it.
    throw new MalformedRequestError('the path must not start with "//"');
  }
  assertDecodable(url.pathname);
  return url;
}
