import { defineApiRoute } from '../api/api-route';
import { CONSOLE_CONTENT_SECURITY_POLICY, CONSOLE_HTML } from './page-html';
import { CONSOLE_SCRIPT } from './page-script';
import { CONSOLE_STYLE } from './page-style';
import { consoleRouteHeads as heads } from './route-heads';

/**
 * The local console (docs/console.md): one static page, its script and its stylesheet, each a
 * separate response so the page's Content-Security-Policy admits script and style from 'self' only
 * and nothing inline. None of the three holds data or needs a key; the security headers of every
 * API response (no-store, nosniff, no-referrer) come from the route handler.
 */
const asset = (text: string, contentType: string) => ({
  status: 200,
  text,
  headers: { 'Content-Type': contentType, 'Content-Security-Policy': CONSOLE_CONTENT_SECURITY_POLICY },
});

/** API routes by operationId; functions/console-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getConsole: defineApiRoute({
    ...heads.getConsole,
    summary: 'The console page (HTML, no data)',
    tags: ['Meta'],
    hidden: true,
    responses: { 200: { description: 'HTML page.' } },
    handle: async () => asset(CONSOLE_HTML, 'text/html; charset=utf-8'),
  }),
  getConsoleScript: defineApiRoute({
    ...heads.getConsoleScript,
    summary: "The console page's script",
    tags: ['Meta'],
    hidden: true,
    responses: { 200: { description: 'JavaScript.' } },
    handle: async () => asset(CONSOLE_SCRIPT, 'text/javascript; charset=utf-8'),
  }),
  getConsoleStyle: defineApiRoute({
    ...heads.getConsoleStyle,
    summary: "The console page's stylesheet",
    tags: ['Meta'],
    hidden: true,
    responses: { 200: { description: 'CSS.' } },
    handle: async () => asset(CONSOLE_STYLE, 'text/css; charset=utf-8'),
  }),
};
