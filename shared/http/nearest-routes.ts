import { type RecordedRoute, recordedHttpRoutes } from './route-table';

/**
 * "Did you mean": the registered routes closest to a path nobody serves, so a 404 points the way
 * instead of only refusing (docs/api.md, "Errors"). Paths are compared segment by segment: a
 * literal segment costs its edit distance, a `{param}` segment costs 1 whatever it holds (so a
 * near-miss of a literal route ranks before the parameter route that swallowed it), and a missing
 * or extra segment costs its length.
 */

/** Where every route is described; 404s name it. */
export const API_REFERENCE_PATH = '/api/v1/docs';

const MAX_SUGGESTIONS = 3;

export interface RouteSuggestion {
  method: string;
  path: string;
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

function isParam(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

/** The distance between a request path (`v1/integrations/statuss`) and a route template. */
export function routeDistance(path: string, template: string): number {
  const got = path.toLowerCase().split('/').filter(Boolean);
  const want = template.toLowerCase().split('/').filter(Boolean);
  let cost = 0;
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (g === undefined) cost += w && isParam(w) ? 4 : (w?.length ?? 0);
    else if (w === undefined) cost += g.length;
    else cost += isParam(w) ? 1 : editDistance(g, w);
  }
  return cost;
}

/**
 * The nearest routes to `path` (without the `/api/` prefix), closest first, at most three, and
 * only those within a distance a typo or a missing segment explains. `method` first prefers the
 * same method; routes under other methods follow.
 */
export function nearestRoutes(
  method: string,
  path: string,
  routes: readonly RecordedRoute[] = recordedHttpRoutes(),
  skip: (route: string) => boolean = (route) => route.includes('*'),
): RouteSuggestion[] {
  const limit = Math.max(3, Math.floor(path.length / 4));
  const scored: { suggestion: RouteSuggestion; score: number }[] = [];
  for (const { route, methods } of routes) {
    if (skip(route)) continue;
    const distance = routeDistance(path, route);
    if (distance > limit) continue;
    for (const m of methods) {
      scored.push({ suggestion: { method: m, path: `/api/${route}` }, score: distance * 2 + (m === method ? 0 : 1) });
    }
  }
  scored.sort((a, b) => a.score - b.score || a.suggestion.path.localeCompare(b.suggestion.path));
  const seen = new Set<string>();
  const out: RouteSuggestion[] = [];
  for (const { suggestion } of scored) {
    const key = `${suggestion.method} ${suggestion.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(suggestion);
    if (out.length === MAX_SUGGESTIONS) break;
  }
  return out;
}

/** `/api/v1/x` → `v1/x`: route templates are written under the /api prefix. */
export function apiRelative(path: string): string {
  return path.replace(/^\/api\//, '').slice(0, 200);
}

/**
 * A literal route of this method one or two typos from the path (`integrations/statuss` for
 * `integrations/status`): the parameter route that caught the request was not what was meant,
 * so the answer is "no such route, did you mean", not "not a valid id".
 */
export function literalRouteNear(
  method: string,
  path: string,
  routes: readonly RecordedRoute[] = recordedHttpRoutes(),
): RouteSuggestion[] {
  const upper = method.toUpperCase();
  return routes
    .filter((r) => !r.route.includes('{') && r.methods.includes(upper) && routeDistance(path, r.route) <= 2)
    .map((r) => ({ method: upper, path: `/api/${r.route}` }))
    .slice(0, MAX_SUGGESTIONS);
}

/** "Nearest: GET /api/v1/integrations/status, …" or '' when nothing is near. */
export function describeSuggestions(suggestions: readonly RouteSuggestion[]): string {
  return suggestions.length === 0 ? '' : ` Nearest: ${suggestions.map((s) => `${s.method} ${s.path}`).join(', ')}.`;
}
