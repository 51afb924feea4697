import { defineApiRoute } from '../api/api-route';
import { services } from '../app/services';
import { auditListSchema, auditQuery } from './api-schemas';
import { listAudit } from './list';
import { auditTrailRouteHeads as heads } from './route-heads';

const TAGS = ['Audit'];
const DESCRIPTION =
  'Who did what: API keys created and revoked, credentials changed, approvals decided, replays forced, tenants onboarded. Newest first, paged with `limit` + `cursor`, filtered by `action`, `actor` (key id) and `from`/`to`. Entries never hold secrets.';

/**
 * The audit log's read routes by operationId; functions/audit-api.ts registers them. A tenant's
 * admin reads the tenant's partition; the platform operator reads its own (`_operator`: every
 * tenant it created, disabled or enabled), never a tenant's — principal.tenantId is that partition
 * for each (docs/decisions.md §52).
 */
export const routes = {
  listAudit: defineApiRoute({
    ...heads.listAudit,
    summary: "The tenant's audit log, newest first",
    description: DESCRIPTION,
    tags: TAGS,
    query: auditQuery,
    responses: { 200: { description: 'A page of audit entries.', schema: auditListSchema } },
    handle: async ({ principal, query }) => {
      const { limit, cursor, ...filter } = query;
      return { status: 200, body: await listAudit(services().audit, principal.tenantId, filter, { limit, cursor }) };
    },
  }),
  listOperatorAudit: defineApiRoute({
    ...heads.listOperatorAudit,
    summary: "The platform operator's own audit log (tenant onboarding), newest first",
    description: DESCRIPTION,
    tags: ['Tenants'],
    query: auditQuery,
    responses: { 200: { description: 'A page of audit entries.', schema: auditListSchema } },
    handle: async ({ principal, query }) => {
      const { limit, cursor, ...filter } = query;
      return { status: 200, body: await listAudit(services().audit, principal.tenantId, filter, { limit, cursor }) };
    },
  }),
};
