import { defineApiRoute } from '../api/api-route';
import { vendorListSchema } from './api-schemas';
import { catalog } from './registry';

/** API routes by operationId; functions/vendors-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listVendors: defineApiRoute({
    method: 'GET',
    route: 'v1/vendors',
    operationId: 'listVendors',
    summary: 'The vendors the hub connects to, with the credential and config fields each needs',
    tags: ['Integrations'],
    scope: 'integrations:read',
    responses: { 200: { description: 'Every supported vendor.', schema: vendorListSchema } },
    handle: async () => ({ status: 200, body: { items: catalog(), nextCursor: null } }),
  }),
};
