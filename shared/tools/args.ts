import { z } from 'zod';

/**
 * Argument builders shared by the catalog's tool files. Arguments come from SOP templates as text,
 * so numeric ids are coerced and booleans accept "true"/"false".
 */
export const entityId = (what: string) => z.coerce.number().int().positive().describe(what);
export const text = (max: number, what: string) => z.string().trim().min(1).max(max).describe(what);
export const boolish = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
  .describe('true or false');
/** A Microsoft Graph / Pax8 style GUID (an Entra SKU id, a subscription id). */
export const guidArg = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID')
    .describe(what);
export const READS_CHANGE_NOTHING = 'nothing: reads change nothing';
