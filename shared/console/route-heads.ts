import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/console/routes.ts, written once: functions/console-api.ts registers each under
 * `name` without loading the page, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route"). None needs a key: the page and its two assets hold no
 * data; every call the page makes afterwards goes to the API with the key the user typed
 * (docs/console.md).
 */
export const consoleRouteHeads = {
  getConsole: { name: 'console-get', method: 'GET', route: 'console', scope: null, operationId: 'getConsole' },
  getConsoleScript: {
    name: 'console-get-script',
    method: 'GET',
    route: 'console/console.js',
    scope: null,
    operationId: 'getConsoleScript',
  },
  getConsoleStyle: {
    name: 'console-get-style',
    method: 'GET',
    route: 'console/console.css',
    scope: null,
    operationId: 'getConsoleStyle',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
