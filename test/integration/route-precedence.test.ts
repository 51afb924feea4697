import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HttpRouter } from '../../local/http-routing';
import type { RegisteredFunction } from '../../local/registry';
import { compileTemplate, hostNameOrder } from '../../shared/http/route-template';
import type { AppRegistration } from '../support/app-registrations';
import { ROOT } from '../support/host-process';

/**
 * The Functions host maps HTTP functions in function-name order (OrdinalIgnoreCase) and the first
 * template and method that match serve the request; a literal segment is not preferred
 * (docs/decisions.md §44). So a route with a literal where an earlier-named function has a
 * parameter is unreachable in Azure for that method. These tests hold every registration of the
 * built app to that rule, and the catch-all to sorting last.
 */
interface HttpRoute {
  name: string;
  route: string;
  methods: string[] | undefined;
}

const CATCH_ALL = 'zz-route-not-found';

/** A value each constrained parameter accepts, and one no literal segment of this app equals. */
function sampleFor(segment: string): string {
  if (/:int\}$/.test(segment)) return '4242';
  if (/:guid\}$/.test(segment)) return '0f8fad5b-d9cb-469f-a165-70867728950e';
  if (/:bool\}$/.test(segment)) return 'true';
  if (/:alpha\}$/.test(segment)) return 'zqxparam';
  return 'zqx-param-1';
}

/** A concrete path `route` serves: its literals as written, every parameter a sample value. */
function samplePath(route: string): string {
  return `/api/${route
    .split('/')
    .map((segment) => (segment.startsWith('{') ? sampleFor(segment) : segment))
    .join('/')}`;
}

const overlap = (a: string[] | undefined, b: string[] | undefined) =>
  !a || !b || a.some((method) => b.includes(method));

/** Pairs where an earlier-named function takes requests meant for a later one's literal route. */
function shadowedRoutes(routes: HttpRoute[]): string[] {
  const ordered = routes.filter((r) => r.name !== CATCH_ALL).sort((a, b) => hostNameOrder(a.name, b.name));
  const found: string[] = [];
  ordered.forEach((later, i) => {
    const path = samplePath(later.route);
    for (const earlier of ordered.slice(0, i)) {
      if (overlap(earlier.methods, later.methods) && compileTemplate(earlier.route).regex.test(path)) {
        found.push(`${earlier.name} (${earlier.route}) shadows ${later.name} (${later.route})`);
      }
    }
  });
  return found;
}

function httpRoutes(registrations: AppRegistration[]): HttpRoute[] {
  return registrations
    .filter((r) => r.trigger.type === 'httpTrigger')
    .map((r) => ({
      name: r.name,
      route: String(r.trigger['route'] ?? r.name),
      methods: Array.isArray(r.trigger['methods']) ? (r.trigger['methods'] as string[]) : undefined,
    }));
}

describe('route precedence as the Functions host applies it', () => {
  let routes: HttpRoute[];

  beforeAll(() => {
    const child = spawnSync(process.execPath, [join(ROOT, 'dist/test/support/app-registrations.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) throw new Error(`app-registrations failed:\n${child.stderr}`);
    routes = httpRoutes((JSON.parse(child.stdout) as { registrations: AppRegistration[] }).registrations);
  });

  it('no literal route of the app is shadowed by a parameter route named before it', () => {
    expect(routes.length).toBeGreaterThan(50);
    expect(shadowedRoutes(routes)).toEqual([]);
  });

  it('the catch-all serves {*path} and sorts after every other HTTP function', () => {
    const catchAll = routes.find((r) => r.name === CATCH_ALL);
    expect(catchAll?.route).toBe('{*path}');
    const last = [...routes].sort((a, b) => hostNameOrder(a.name, b.name)).at(-1);
    expect(last?.name).toBe(CATCH_ALL);
  });

  it('the check finds the collision the host would have (integrations-get before integrations-status)', () => {
    const before: HttpRoute[] = [
      { name: 'integrations-get', route: 'v1/integrations/{id}', methods: ['GET'] },
      { name: 'integrations-status', route: 'v1/integrations/status', methods: ['GET'] },
      // Another method is another route: no collision.
      { name: 'integrations-delete', route: 'v1/integrations/{id}', methods: ['DELETE'] },
      { name: 'integrations-test-unsaved', route: 'v1/integrations/test', methods: ['POST'] },
    ];
    expect(shadowedRoutes(before)).toEqual([
      'integrations-get (v1/integrations/{id}) shadows integrations-status (v1/integrations/status)',
    ]);
  });

  it('orders names like .NET OrdinalIgnoreCase', () => {
    const names = ['b-x', 'A-y', 'a-x', 'zz-route-not-found', 'Integrations-get', 'integrations-all-status'];
    expect([...names].sort(hostNameOrder)).toEqual([
      'a-x',
      'A-y',
      'b-x',
      'integrations-all-status',
      'Integrations-get',
      'zz-route-not-found',
    ]);
  });
});

describe('the local router', () => {
  const fn = (name: string, route: string, methods?: string[]): RegisteredFunction => ({
    name,
    metadata: { name, bindings: {} },
    callback: () => undefined,
    trigger: { name: 'req', type: 'httpTrigger', direction: 'in', route, ...(methods ? { methods } : {}) },
    extraInputs: [],
  });

  it('tries routes in function-name order, first match wins, literals get no preference', () => {
    const router = new HttpRouter([
      fn('items-recent', 'v1/items/recent', ['GET']),
      fn('items-get', 'v1/items/{id}', ['GET']),
      fn('items-delete', 'v1/items/{id}', ['DELETE']),
    ]);
    const recent = router.match('GET', '/api/v1/items/recent');
    expect(recent.kind === 'matched' && recent.route.fn.name).toBe('items-get');
    const deleted = router.match('DELETE', '/api/v1/items/recent');
    expect(deleted.kind === 'matched' && deleted.route.fn.name).toBe('items-delete');
  });

  it('has no 405: a path served under another method only is no match', () => {
    const router = new HttpRouter([fn('items-get', 'v1/items/{id}', ['GET'])]);
    expect(router.match('PUT', '/api/v1/items/1').kind).toBe('none');
  });

  it('a catch-all named last takes only what every other route refused', () => {
    const router = new HttpRouter([fn('zz-route-not-found', '{*path}'), fn('items-get', 'v1/items/{id}', ['GET'])]);
    const served = router.match('GET', '/api/v1/items/1');
    expect(served.kind === 'matched' && served.route.fn.name).toBe('items-get');
    const fallback = router.match('PUT', '/api/v1/items/1');
    expect(fallback.kind === 'matched' && fallback.route.fn.name).toBe('zz-route-not-found');
    expect(fallback.kind === 'matched' && fallback.params).toEqual({ path: 'v1/items/1' });
  });
});
