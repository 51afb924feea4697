import { z } from 'zod';
import { defineApiRoute } from '../api/api-route';
import { listTools, toolView } from './catalog';
import { toolsRouteHeads as heads } from './route-heads';

const toolSchema = z
  .object({
    id: z.string(),
    vendor: z.string(),
    title: z.string(),
    description: z.string(),
    writes: z.boolean(),
    alwaysRequiresApproval: z.boolean(),
    argumentsSchema: z.record(z.string(), z.unknown()).meta({ description: 'JSON Schema of the arguments.' }),
  })
  .meta({ id: 'Tool' });

/** API routes by operationId; functions/tools-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listTools: defineApiRoute({
    ...heads.listTools,
    summary: 'The tools SOP steps can call, with their argument schemas',
    tags: ['SOPs'],
    responses: {
      200: {
        description: 'Every tool.',
        schema: z.object({ items: z.array(toolSchema), nextCursor: z.null() }).meta({ id: 'ToolList' }),
      },
    },
    handle: async () => ({ status: 200, body: { items: listTools().map(toolView), nextCursor: null } }),
  }),
};
