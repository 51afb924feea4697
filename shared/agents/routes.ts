import { defineApiRoute, problemSchema } from '../api/api-route';
import { agentRunIdParams, agentRunListSchema, agentRunSchema } from './api-schemas';
import { agentRunsOfEvent, getAgentRunView } from './view';

const TAGS = ['Events'];

/** API routes by operationId; functions/agent-runs-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getAgentRun: defineApiRoute({
    method: 'GET',
    route: 'v1/agent-runs/{id}',
    operationId: 'getAgentRun',
    summary: 'One agent run: its steps, their status, tool, integration, approval and vendor-write ledger state',
    tags: TAGS,
    scope: 'events:read',
    params: agentRunIdParams,
    responses: {
      200: { description: 'The agent run.', schema: agentRunSchema },
      404: { description: 'No such agent run in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getAgentRunView(principal.tenantId, params.id),
    }),
  }),
  listEventAgentRuns: defineApiRoute({
    method: 'GET',
    route: 'v1/events/{id}/agent-runs',
    operationId: 'listEventAgentRuns',
    summary: "An event's agent runs (at most one: a run's id derives from its event's id)",
    tags: TAGS,
    scope: 'events:read',
    params: agentRunIdParams,
    responses: {
      200: { description: 'The runs, possibly none.', schema: agentRunListSchema },
      404: { description: 'No such event in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: { items: await agentRunsOfEvent(principal.tenantId, params.id), nextCursor: null },
    }),
  }),
};
