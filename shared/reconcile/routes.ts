import { defineApiRoute, problemSchema } from '../api/api-route';
import { integrationIdParams } from '../integrations/api-schemas';
import { reconcileApplyBody, reconcileApplyResultSchema, reconcileReportSchema } from './api-schemas';
import { reconcileDeps } from './deps';
import { applyReconcile, reconcileIntegration } from './reconcile';
import { reconcileRouteHeads as heads } from './route-heads';

const TAGS = ['Integrations'];
const notFound = { description: 'No such integration in this tenant.', schema: problemSchema };
const unsupported = {
  description: 'The vendor has nothing the hub registers (`reconcile_unsupported`).',
  schema: problemSchema,
};
const vendorFailed = {
  description: 'The vendor refused or failed the listing (`vendor_error` and kin); nothing changed.',
  schema: problemSchema,
};

/** API routes by operationId; functions/reconcile-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  reconcileIntegration: defineApiRoute({
    ...heads.reconcileIntegration,
    summary: 'Compare what the hub registered at the vendor with what the vendor really holds (read-only)',
    tags: TAGS,
    params: integrationIdParams,
    responses: {
      200: { description: 'Each resource classified.', schema: reconcileReportSchema },
      404: notFound,
      422: unsupported,
      502: vendorFailed,
    },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await reconcileIntegration(reconcileDeps(), principal, params.id, correlationId),
    }),
  }),
  applyReconcile: defineApiRoute({
    ...heads.applyReconcile,
    summary: 'Re-create or remove resources the hub created (only with confirm: true)',
    description:
      'Each action is checked against a fresh diff. Only resources the hub itself created can be re-created or removed; anything else is refused whatever the request says. Without `confirm: true` nothing changes and each allowed action answers `would_do`.',
    tags: TAGS,
    params: integrationIdParams,
    body: reconcileApplyBody,
    responses: {
      200: { description: 'One result per action.', schema: reconcileApplyResultSchema },
      404: notFound,
      422: unsupported,
      502: vendorFailed,
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await applyReconcile(reconcileDeps(), principal, params.id, body, correlationId),
    }),
  }),
};
