import { z } from 'zod';

/**
 * Integration ids are ULIDs: 26 characters of Crockford base32, which is case-insensitive. The hub
 * writes them upper case; a lower-cased copy (a shell's `tr`, a URL tool) names the same
 * integration, so it is accepted and upper-cased rather than refused (docs/api.md, "Ids").
 */
export const INTEGRATION_ID = /^[0-9A-Z]{26}$/;

export const INTEGRATION_ID_MESSAGE =
  'not an integration id (26 letters and digits, as POST /api/v1/integrations returned it)';

export const integrationIdSchema = z.string().trim().toUpperCase().regex(INTEGRATION_ID, INTEGRATION_ID_MESSAGE);
