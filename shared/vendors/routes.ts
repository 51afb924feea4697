import { defineApiRoute } from '../api/api-route';
import { vendorListSchema } from './api-schemas';
import { catalog } from './registry';
import { vendorsRouteHeads as heads } from './route-heads';

/** API routes by operationId; functions/vendors-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listVendors: defineApiRoute({
    ...heads.listVendors,
    summary: 'The vendors the hub connects to, with the credential and config fields each needs',
    tags: ['Integrations'],
    responses: { 200: { description: 'Every supported vendor.', schema: vendorListSchema } },
    handle: async () => ({ status: 200, body: { items: catalog(), nextCursor: null } }),
  }),
};
