import { defineApiRoute, problemSchema } from '../api/api-route';
import { pageQuery } from '../apikeys/api-schemas';
import { services } from '../app/services';
import { recovered, withoutSecret } from '../idempotency/replay-body';
import {
  createdTenantSchema,
  createTenantBody,
  payloadRetentionBody,
  tenantIdParams,
  tenantLimitsBody,
  tenantListSchema,
  tenantSchema,
} from './api-schemas';
import { tenantDeps } from './deps';
import { tenantsRouteHeads as heads } from './route-heads';
import { createTenant, getTenant, listTenants, setPayloadRetention, setTenantLimits, setTenantStatus } from './tenants';

/** The operator plane: only the operator key (scope `operator`) reaches these routes. */
const deps = tenantDeps;

const notFound = { description: 'No such tenant.', schema: problemSchema };

/** API routes by operationId; functions/tenants-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  createTenant: defineApiRoute({
    ...heads.createTenant,
    replayBody: withoutSecret('adminKey', 'key'),
    summary: 'Onboard a tenant (MSP); its first admin key is returned once',
    tags: ['Tenants (operator)'],
    body: createTenantBody,
    responses: {
      201: { description: 'Created; `adminKey.key` is shown only here.', schema: createdTenantSchema },
    },
    recoverCreate: (_input, created) => recovered(201, () => getTenant(deps(), created.resourceId.toLowerCase())),
    handle: async ({ principal, body, correlationId, idempotency }) => ({
      status: 201,
      body: await createTenant(deps(), principal, body, correlationId, idempotency?.resourceId.toLowerCase()),
    }),
  }),
  listTenants: defineApiRoute({
    ...heads.listTenants,
    summary: 'List tenants, newest first',
    tags: ['Tenants (operator)'],
    query: pageQuery,
    responses: { 200: { description: 'A page of tenants.', schema: tenantListSchema } },
    handle: async ({ query }) => ({ status: 200, body: await listTenants(deps(), query) }),
  }),
  getTenant: defineApiRoute({
    ...heads.getTenant,
    summary: 'Get one tenant',
    tags: ['Tenants (operator)'],
    params: tenantIdParams,
    responses: { 200: { description: 'The tenant.', schema: tenantSchema }, 404: notFound },
    handle: async ({ params }) => ({ status: 200, body: await getTenant(deps(), params.id) }),
  }),
  disableTenant: defineApiRoute({
    ...heads.disableTenant,
    summary: 'Disable a tenant: its keys get 401 tenant_disabled, its webhooks and timers stop (nothing is deleted)',
    tags: ['Tenants (operator)'],
    params: tenantIdParams,
    responses: { 200: { description: 'The tenant, disabled.', schema: tenantSchema }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await setTenantStatus(deps(), principal, params.id, 'disabled', correlationId),
    }),
  }),
  enableTenant: defineApiRoute({
    ...heads.enableTenant,
    summary: 'Enable a disabled tenant again',
    tags: ['Tenants (operator)'],
    params: tenantIdParams,
    responses: { 200: { description: 'The tenant, active.', schema: tenantSchema }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await setTenantStatus(deps(), principal, params.id, 'active', correlationId),
    }),
  }),
  setTenantLimits: defineApiRoute({
    ...heads.setTenantLimits,
    summary:
      "Set a tenant's daily inbound quota (null: the deployment's INBOUND_TENANT_DAILY_QUOTA); over it deliveries get 429 tenant_quota_exceeded until midnight UTC",
    tags: ['Tenants (operator)'],
    params: tenantIdParams,
    body: tenantLimitsBody,
    responses: { 200: { description: 'The tenant with its limits.', schema: tenantSchema }, 404: notFound },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await setTenantLimits(deps(), principal, params.id, body, correlationId),
    }),
  }),
  setTenantPayloadRetention: defineApiRoute({
    ...heads.setTenantPayloadRetention,
    summary: "Set how long the tenant's event and delivery payloads are kept (at most EVENT_RETENTION_DAYS)",
    tags: ['Tenants (operator)'],
    params: tenantIdParams,
    body: payloadRetentionBody,
    responses: {
      200: { description: 'The tenant with its payload retention.', schema: tenantSchema },
      404: notFound,
      422: { description: 'Longer than the platform maximum (payload_retention_too_long).', schema: problemSchema },
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await setPayloadRetention(
        deps(),
        principal,
        params.id,
        { days: body.days, maximumDays: services().settings.EVENT_RETENTION_DAYS },
        correlationId,
      ),
    }),
  }),
};
