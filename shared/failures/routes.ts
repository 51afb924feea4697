import { defineApiRoute } from '../api/api-route';
import { nowMs } from '../clock';
import { groupFailures } from './analysis';
import { failureGroupsSchema, failuresQuery } from './api-schemas';
import { failuresRouteHeads as heads } from './route-heads';

/** The Failure Analysis' route by operationId; functions/events-api.ts registers it (docs/decisions.md §38). */
export const routes = {
  listFailures: defineApiRoute({
    ...heads.listFailures,
    summary: 'Failure Analysis grouped by stage and error type (rejected webhooks appear as stage validation)',
    tags: ['Events'],
    query: failuresQuery,
    responses: { 200: { description: 'Groups, largest first.', schema: failureGroupsSchema } },
    handle: async ({ principal, query }) => {
      const toMs = query.to ? Date.parse(query.to) : nowMs();
      const fromMs = query.from ? Date.parse(query.from) : toMs - 7 * 86_400_000;
      const found = await groupFailures(principal.tenantId, fromMs, toMs, {
        stage: query.stage,
        errorType: query.errorType,
      });
      // `limit` as on every list; `nextCursor: null` because a summary has no second page.
      return { status: 200, body: { ...found, groups: found.groups.slice(0, query.limit), nextCursor: null } };
    },
  }),
};
