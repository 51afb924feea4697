/**
 * Every HTTP route this app registers, recorded as functions/ registers it (the route template and
 * its methods). The catch-all function (./fallback-route.ts) reads it to tell "no such route" (404
 * `route_not_found`) from "this route, another method" (405 `method_not_allowed` with Allow): the
 * Functions host itself answers both with an empty 404 (docs/decisions.md §44). The worker loads
 * every entry before its first invocation, so the table is complete by the time it is read.
 */
export interface RecordedRoute {
  route: string;
  methods: readonly string[];
}

const recorded: RecordedRoute[] = [];

export function recordHttpRoute(route: string, methods: readonly string[]): void {
  recorded.push({ route, methods: methods.map((m) => m.toUpperCase()) });
}

export function recordedHttpRoutes(): readonly RecordedRoute[] {
  return recorded;
}
