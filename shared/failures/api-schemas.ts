import { z } from 'zod';
import { STAGES } from '../events/contract';
import { apiInstant } from '../validation/instant';
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
    catalogCode: z.string().meta({
      description:
        'The error catalog entry (GET /api/v1/error-catalog/{code}) explaining the refusal code or error type; its class when not listed.',
    }),
  })
  .meta({ id: 'Failure' });

export const failuresQuery = z
  .strictObject({
    stage: z.enum(STAGES).optional(),
    errorType: z.string().min(1).max(64).optional(),
    from: apiInstant.optional(),
    to: apiInstant.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50).meta({
      description: 'Most groups to return, largest first (the groups are a summary, so there is no cursor).',
    }),
  })
  .meta({ id: 'FailuresQuery' });

export const failureGroupsSchema = z
  .object({
    groups: z.array(
      z.object({
        stage: z.enum(STAGES),
        errorType: z.string(),
        count: z.number(),
        latestAt: z.string(),
        examples: z.array(failureSchema),
      }),
    ),
    total: z.number(),
    truncated: z.boolean(),
    nextCursor: z.null().meta({ description: 'Always null: every group is on this one page (see `limit`).' }),
  })
  .meta({ id: 'FailureGroups' });
