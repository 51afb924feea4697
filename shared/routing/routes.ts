import { defineApiRoute, problemSchema } from '../api/api-route';
import { ValidationError } from '../errors/domain-error';
import { routingAccuracy } from './accuracy';
import {
  accuracyQuery,
  accuracySchema,
  bulkLinkBody,
  bulkLinkResultSchema,
  decisionListSchema,
  decisionParams,
  decisionSchema,
  listQuery,
  reassignBody,
  routingConfigBody,
  routingConfigSchema,
  routingErrorListSchema,
  routingOutcomeSchema,
  routingTestBody,
} from './api-schemas';
import { configView, etagOf, linkClients, loadRoutingConfig, putRoutingConfig, referenceProblems } from './config';
import { decideTeam } from './decide';
import { getDecision, listDecisions, reassignTicket } from './decisions';
import { routingDeps } from './deps';
import { routingRouteHeads as heads } from './route-heads';
import { listRoutingErrors } from './routing-errors';

const TAGS = ['Routing'];
const problem = (description: string) => ({ description, schema: problemSchema });

/** API routes by operationId; functions/routing-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getRoutingConfig: defineApiRoute({
    ...heads.getRoutingConfig,
    summary: "This tenant's routing config: teams, client links, rules and the default team",
    description: 'The ETag header is the version; send it back as If-Match with PUT.',
    tags: TAGS,
    responses: { 200: { description: 'The config (version 0 while none is saved).', schema: routingConfigSchema } },
    handle: async ({ principal }) => {
      const loaded = await loadRoutingConfig(routingDeps(), principal.tenantId);
      return { status: 200, body: configView(loaded), headers: { ETag: etagOf(loaded.version) } };
    },
  }),
  putRoutingConfig: defineApiRoute({
    ...heads.putRoutingConfig,
    summary: 'Replace the routing config (If-Match required)',
    description:
      'The whole document, conditional on If-Match naming the version read ("0" while none is saved). ' +
      'Rules are tried in order after client links; the default team takes what is left.',
    tags: TAGS,
    body: routingConfigBody,
    responses: {
      200: { description: 'The saved config; ETag is its new version.', schema: routingConfigSchema },
      412: problem('If-Match names a version that is no longer current (`precondition_failed`).'),
      428: problem('If-Match is missing (`precondition_required`).'),
    },
    handle: async ({ principal, body, request, correlationId }) => {
      const saved = await putRoutingConfig(
        routingDeps(),
        principal,
        body,
        request.headers.get('if-match'),
        correlationId,
      );
      return { status: 200, body: saved, headers: { ETag: etagOf(saved.version) } };
    },
  }),
  testRouting: defineApiRoute({
    ...heads.testRouting,
    summary: 'Dry run: which team a sample ticket would get, and why',
    description: 'Against the saved config, or a draft sent as `config`. Nothing is stored.',
    tags: TAGS,
    body: routingTestBody,
    responses: { 200: { description: 'The decision and each rule tried.', schema: routingOutcomeSchema } },
    handle: async ({ principal, body }) => {
      let document = body.config;
      if (document !== undefined) {
        const problems = referenceProblems(document);
        if (problems.length > 0) {
          throw new ValidationError(
            'The draft config refers to something it does not define.',
            problems.map((p) => ({ ...p, path: `config.${p.path}` })),
          );
        }
      } else document = (await loadRoutingConfig(routingDeps(), principal.tenantId)).document;
      return { status: 200, body: decideTeam(document, body.ticket) };
    },
  }),
  linkRoutingClients: defineApiRoute({
    ...heads.linkRoutingClients,
    summary: 'Link many clients to one team at once (teamId null unlinks them)',
    tags: TAGS,
    body: bulkLinkBody,
    responses: { 200: { description: 'What changed, and the config version after.', schema: bulkLinkResultSchema } },
    handle: async ({ principal, body, correlationId }) => {
      const result = await linkClients(routingDeps(), principal, body, correlationId);
      return { status: 200, body: result, headers: { ETag: etagOf(result.version) } };
    },
  }),
  getRoutingAccuracy: defineApiRoute({
    ...heads.getRoutingAccuracy,
    summary: 'Routing accuracy: routed tickets not moved to another team by hand, over routed tickets',
    tags: TAGS,
    query: accuracyQuery,
    responses: { 200: { description: 'The accuracy over the window.', schema: accuracySchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await routingAccuracy(routingDeps(), principal.tenantId, query.days),
    }),
  }),
  listRoutingErrors: defineApiRoute({
    ...heads.listRoutingErrors,
    summary: 'Tickets routing could not give a team, newest first',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'A page of routing errors.', schema: routingErrorListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listRoutingErrors(routingDeps(), principal.tenantId, query),
    }),
  }),
  listRoutingDecisions: defineApiRoute({
    ...heads.listRoutingDecisions,
    summary: "This tenant's routed tickets and their teams",
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'A page of decisions, by vendor and ticket id.', schema: decisionListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listDecisions(routingDeps(), principal.tenantId, query),
    }),
  }),
  getRoutingDecision: defineApiRoute({
    ...heads.getRoutingDecision,
    summary: "One ticket's team and what decided it",
    tags: TAGS,
    params: decisionParams,
    responses: { 200: { description: 'The decision.', schema: decisionSchema }, 404: problem('Not routed.') },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getDecision(routingDeps(), principal.tenantId, params.vendor, params.ticketId),
    }),
  }),
  reassignTicket: defineApiRoute({
    ...heads.reassignTicket,
    summary: 'Give a ticket another team by hand (counts against routing accuracy)',
    tags: TAGS,
    params: decisionParams,
    body: reassignBody,
    responses: { 200: { description: 'The decision after.', schema: decisionSchema } },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await reassignTicket(routingDeps(), principal, params, body, correlationId),
    }),
  }),
};
