import { z } from 'zod';
import { failureRecordSchema } from './tables';

/**
 * A failure as /api/v1/failures and the event detail show it: the stored record with its id and
 * the metadata parsed. `bodyBytes` stays a plain number, as the published document has it.
 */
export const failureSchema = z
  .object({ id: z.string() })
  .extend(failureRecordSchema.shape)
  .extend({
    metadata: z.record(z.string(), z.union([z.string(), z.number()])),
    bodyBytes: z.number().optional(),
  })
  .meta({ id: 'Failure' });
