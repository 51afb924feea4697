import { z } from 'zod';

/** HTTP shapes of the authorisation routes (docs/integrations.md "Halo PSA authorisation"). */

export const authorisationStartSchema = z
  .object({
    authorizeUrl: z.string().meta({ description: 'Open this in a browser signed in to Halo as an admin.' }),
    redirectUri: z
      .string()
      .meta({ description: 'Where Halo sends the browser back; register exactly this in the Halo application.' }),
    expiresAt: z.string().meta({ description: 'The link works once, until then (10 minutes).' }),
  })
  .meta({ id: 'AuthorisationStart' });

/**
 * What Halo appends to the redirect URI (RFC 6749 §4.1.2): `code` and `state`, or `error` and
 * `state`. Anything else Halo adds is ignored; only the state record is trusted.
 */
export const callbackQuery = z.object({
  state: z.string().min(1).max(512),
  code: z.string().min(1).max(4096).optional(),
  error: z.string().min(1).max(512).optional(),
});
