import { defineApiRoute, problemSchema } from '../api/api-route';
import { integrationIdParams } from '../integrations/api-schemas';
import { authorisationStartSchema, callbackQuery } from './api-schemas';
import { completeAuthorisation, startAuthorisation } from './authorisations';
import { oauthDeps } from './deps';
import { oauthRouteHeads as heads } from './route-heads';

const TAGS = ['Integrations'];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page the admin's browser ends on; the callback URL carried a code, so nothing is cached or referred. */
function donePage(integrationId: string, missingScopes: string[]): string {
  const missing =
    missingScopes.length === 0
      ? '<p>Every scope the hub needs was granted.</p>'
      : `<p>Halo did not grant: <strong>${missingScopes.map(escapeHtml).join(', ')}</strong>. Add them to the Halo application's permissions and authorise again.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Halo PSA authorised</title></head><body><h1>Halo PSA authorised</h1><p>Integration ${escapeHtml(integrationId)} is authorised. You can close this window.</p>${missing}</body></html>`;
}

/** API routes by operationId; functions/oauth-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  startAuthorisation: defineApiRoute({
    ...heads.startAuthorisation,
    summary: 'Start authorising a Halo PSA integration in a browser (authorisation code with PKCE)',
    description:
      'Answers the Halo URL to open. The link works once for 10 minutes; Halo sends the browser back to `redirectUri`, where the hub exchanges the code and stores the refresh token encrypted.',
    tags: TAGS,
    params: integrationIdParams,
    responses: {
      200: { description: 'The URL to open.', schema: authorisationStartSchema },
      404: { description: 'No such integration in this tenant.', schema: problemSchema },
      422: {
        description:
          'Not an integration authorised in a browser, or PUBLIC_BASE_URL is not set (`oauth_not_available`).',
        schema: problemSchema,
      },
    },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await startAuthorisation(oauthDeps(), principal, params.id, correlationId),
    }),
  }),
  completeAuthorisation: defineApiRoute({
    ...heads.completeAuthorisation,
    summary: 'Where Halo sends the admin back (anonymous; trusts only the state)',
    tags: TAGS,
    query: callbackQuery,
    responses: {
      200: { description: 'An HTML page saying the integration is authorised.' },
      400: {
        description:
          'Unknown, expired or used state (`oauth_state_invalid`) or Halo refused (`oauth_denied`); nothing stored.',
        schema: problemSchema,
      },
      502: { description: 'Halo refused the code exchange (`vendor_error`); nothing stored.', schema: problemSchema },
    },
    handle: async ({ query, correlationId }) => {
      const done = await completeAuthorisation(oauthDeps(), query, correlationId);
      return {
        status: 200,
        headers: {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          'Referrer-Policy': 'no-referrer',
        },
        text: donePage(done.integrationId, done.missingScopes),
      };
    },
  }),
};
