import { app } from '@azure/functions';
import { agentRunIdParams, agentRunListSchema, agentRunSchema } from '../shared/agents/api-schemas';
import { agentRunsOfEvent, getAgentRunView } from '../shared/agents/view';
import { apiRoute, problemSchema } from '../shared/http/api-route';

const TAGS = ['Events'];

app.http(
  'agent-runs-get',
  apiRoute({
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
);

app.http(
  'event-agent-runs-list',
  apiRoute({
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
);
