/**
 * Route templates as the Functions host reads them, shared by the local host's router and the
 * catch-all function (./fallback-route.ts), so both decide "does this path match" the same way.
 *
 * The host maps HTTP functions in function-name order (OrdinalIgnoreCase) and the first template
 * whose path and method constraint match wins; a literal segment is not preferred over a
 * parameter (docs/decisions.md §44). `{name}` matches one segment, `{name?}` an optional last
 * segment, `{*name}` the rest of the path, `{name:constraint}` keeps the name (int, guid, alpha
 * and bool are enforced). Matching is case-insensitive.
 */
export interface CompiledTemplate {
  template: string;
  regex: RegExp;
  paramNames: string[];
  /** The template ends in `{*name}`: it matches every path under its literal prefix. */
  catchAll: boolean;
}

const constraints: Record<string, string> = {
  int: '-?\\d+',
  guid: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
  alpha: '[A-Za-z]+',
  bool: '(?:true|false)',
};

const PARAM = /^\{(\*\*?)?([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?(\?)?\}$/;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileTemplate(template: string, routePrefix = 'api'): CompiledTemplate {
  const segments = template.replace(/^\/+|\/+$/g, '').split('/');
  const paramNames: string[] = [];
  let pattern = routePrefix ? `^/${escapeRegex(routePrefix)}` : '^';
  let catchAll = false;
  for (const segment of segments) {
    if (segment === '') continue;
    const param = PARAM.exec(segment);
    if (!param) {
      pattern += `/${escapeRegex(segment)}`;
      continue;
    }
    const [, star, name, constraint, optional] = param;
    paramNames.push(name!);
    if (star) catchAll = true;
    const body = star ? '.*' : constraint && constraints[constraint] ? constraints[constraint] : '[^/]+';
    pattern += optional || star ? `(?:/(${body}))?` : `/(${body})`;
  }
  return { template, regex: new RegExp(`${pattern}/?$`, 'i'), paramNames, catchAll };
}

/**
 * The order the host maps functions in: .NET's OrdinalIgnoreCase, i.e. both names upper-cased and
 * compared code unit by code unit (function names are ASCII; the host refuses anything else).
 */
export function hostNameOrder(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}
