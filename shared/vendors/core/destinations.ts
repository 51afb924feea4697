/**
 * Where a connector may send an integration's credentials, as origins: `scheme://host:port` with
 * the port always written (so `https://a.example` and `https://a.example:443` are one origin and
 * `:8443` is another). A connector may also name a family of hosts it learns at run time (Autotask's
 * zones) as `https://*.autotask.net:443`: the `*` stands for one or more DNS labels, never for the
 * scheme, the port or the registrable part. docs/integrations.md "Where credentials may go".
 */

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** The normalized origin of an http(s) URL; undefined for anything that is not one. */
export function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  if (port === undefined) return undefined;
  return `${parsed.protocol}//${parsed.hostname}:${port}`;
}

/** Origins of the URLs given (blank and unparseable ones dropped), sorted and without repeats. */
export function originsOf(urls: readonly (string | undefined)[]): string[] {
  const origins = new Set<string>();
  for (const url of urls) {
    const origin = url === undefined ? undefined : originOf(url);
    if (origin !== undefined) origins.add(origin);
  }
  return [...origins].sort();
}

/** `https://*.autotask.net:443` for hosts under `autotask.net`, https only (a learned host family). */
export function hostFamily(domain: string): string {
  return `https://*.${domain.toLowerCase()}:443`;
}

function matches(origin: string, allowed: string): boolean {
  if (origin === allowed) return true;
  const star = allowed.indexOf('//*.');
  if (star < 0) return false;
  const scheme = allowed.slice(0, star + 2);
  const rest = allowed.slice(star + 3); // `.domain:port`
  if (!origin.startsWith(scheme)) return false;
  const hostAndPort = origin.slice(scheme.length);
  return hostAndPort.endsWith(rest) && hostAndPort.length > rest.length && !hostAndPort.startsWith('.');
}

/** Whether an origin is one of the allowed origins or inside one of their host families. */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => matches(origin, entry));
}

/**
 * The entries of `next` that `bound` does not cover: a family counts as covered only when the same
 * family is bound (a single bound host never stands for a family).
 */
export function uncoveredDestinations(next: readonly string[], bound: readonly string[]): string[] {
  return next.filter((entry) => (entry.includes('//*.') ? !bound.includes(entry) : !originAllowed(entry, bound)));
}
