import { defineApiRoute, problemSchema } from '../api/api-route';
import { agentRunIdParams, agentRunListSchema, agentRunSchema } from './api-schemas';
import { agentsRouteHeads as heads } from './route-heads';
import { agentRunsOfEvent, getAgentRunView } from './view';

const TAGS = ['Events'];

/** API routes by operationId; functions/agent-runs-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getAgentRun: defineApiRoute({
    ...heads.getAgentRun,
    summary: 'One agent run: its steps, their status, tool, integration, approval and vendor-write ledger state',
    tags: TAGS,
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
    ...heads.listEventAgentRuns,
    summary: "An event's agent runs (at most one: a run's id derives from its event's id)",
    tags: TAGS,
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
