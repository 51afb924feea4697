import { type CompiledTemplate, compileTemplate, hostNameOrder } from '../shared/http/route-template';
import type { RegisteredFunction } from './registry';
import { decodeSegment } from './request-target';

/**
 * The Functions host's HTTP routing: routes live under /api and are tried in function-name order
 * (OrdinalIgnoreCase), the HTTP method being one more constraint of each route; the first route
 * whose template and method both match serves the request. Nothing prefers literal segments
 * (docs/decisions.md §44): `GET v1/items/{id}` in a function named before the one serving
 * `GET v1/items/recent` answers for both. When nothing matches, the host has no 405: it is a 404.
 */
export interface CompiledRoute extends CompiledTemplate {
  fn: RegisteredFunction;
  methods: string[] | undefined;
  authLevel: 'anonymous' | 'function' | 'admin';
}

export function compileRoute(fn: RegisteredFunction, routePrefix = 'api'): CompiledRoute {
  const template = typeof fn.trigger.route === 'string' && fn.trigger.route.length > 0 ? fn.trigger.route : fn.name;
  const methods = Array.isArray(fn.trigger.methods)
    ? (fn.trigger.methods as string[]).map((m) => m.toUpperCase())
    : undefined;
  const level = fn.trigger.authLevel;
  return {
    ...compileTemplate(template, routePrefix),
    fn,
    methods,
    authLevel: level === 'function' || level === 'admin' ? level : 'anonymous',
  };
}

export type RouteMatch = { kind: 'matched'; route: CompiledRoute; params: Record<string, string> } | { kind: 'none' };

export class HttpRouter {
  readonly routes: CompiledRoute[];
  constructor(functions: RegisteredFunction[]) {
    this.routes = functions.map((f) => compileRoute(f)).sort((a, b) => hostNameOrder(a.fn.name, b.fn.name));
  }

  match(method: string, pathname: string): RouteMatch {
    const upper = method.toUpperCase();
    for (const route of this.routes) {
      if (route.methods && !route.methods.includes(upper)) continue;
      const m = route.regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, i) => {
        const value = m[i + 1];
        // A bad escape is the client's error (400), never a URIError (500).
        if (value !== undefined) params[name] = decodeSegment(value);
      });
      return { kind: 'matched', route, params };
    }
    return { kind: 'none' };
  }
}
