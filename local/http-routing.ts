import type { RegisteredFunction } from './registry';
import { decodeSegment } from './request-target';

/**
 * The Functions host's HTTP routing rules for the subset the app uses: routes live under /api,
 * `{name}` matches one segment, `{name?}` an optional last segment, `{*name}` the rest of the path,
 * `{name:constraint}` keeps the name (int, guid, alpha and bool constraints are enforced). Literal
 * routes win over parameterised ones, as in ASP.NET routing. Matching is case-insensitive.
 */
export interface CompiledRoute {
  fn: RegisteredFunction;
  template: string;
  methods: string[] | undefined;
  authLevel: 'anonymous' | 'function' | 'admin';
  regex: RegExp;
  paramNames: string[];
  /** Lower sorts first: literal segments before parameters before catch-alls. */
  specificity: number;
}

const constraints: Record<string, string> = {
  int: '-?\\d+',
  guid: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
  alpha: '[A-Za-z]+',
  bool: '(?:true|false)',
};

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileRoute(fn: RegisteredFunction, routePrefix = 'api'): CompiledRoute {
  const template = typeof fn.trigger.route === 'string' && fn.trigger.route.length > 0 ? fn.trigger.route : fn.name;
  const segments = template.replace(/^\/+|\/+$/g, '').split('/');
  const paramNames: string[] = [];
  let pattern = `^/${routePrefix}`;
  let specificity = 0;
  for (const segment of segments) {
    const param = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?(\?)?\}$/.exec(segment);
    if (!param) {
      pattern += `/${escapeRegex(segment)}`;
      continue;
    }
    const [, catchAll, name, constraint, optional] = param;
    paramNames.push(name!);
    const body = catchAll ? '.*' : constraint && constraints[constraint] ? constraints[constraint] : '[^/]+';
    specificity += catchAll ? 100 : 10;
    pattern += optional || catchAll ? `(?:/(${body}))?` : `/(${body})`;
  }
  const methods = Array.isArray(fn.trigger.methods)
    ? (fn.trigger.methods as string[]).map((m) => m.toUpperCase())
    : undefined;
  const level = fn.trigger.authLevel;
  return {
    fn,
    template,
    methods,
    authLevel: level === 'function' || level === 'admin' ? level : 'anonymous',
    regex: new RegExp(`${pattern}/?$`, 'i'),
    paramNames,
    specificity,
  };
}

export type RouteMatch =
  | { kind: 'matched'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'none' };

export class HttpRouter {
  readonly routes: CompiledRoute[];
  constructor(functions: RegisteredFunction[]) {
    this.routes = functions.map((f) => compileRoute(f)).sort((a, b) => a.specificity - b.specificity);
  }

  match(method: string, pathname: string): RouteMatch {
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      if (route.methods && !route.methods.includes(method.toUpperCase())) {
        for (const x of route.methods) allowed.add(x);
        continue;
      }
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, i) => {
        const value = m[i + 1];
        // A bad escape is the client's error (400), never a URIError (500).
        if (value !== undefined) params[name] = decodeSegment(value);
      });
      return { kind: 'matched', route, params };
    }
    return allowed.size > 0 ? { kind: 'method_not_allowed', allowed: [...allowed] } : { kind: 'none' };
  }
}
