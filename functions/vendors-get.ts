import { app } from '@azure/functions';
import { apiRoute } from '../shared/http/api-route';
import { vendorListSchema } from '../shared/integrations/api-schemas';
import { catalog } from '../shared/vendors/registry';

app.http(
  'vendors-get',
  apiRoute({
    method: 'GET',
    route: 'v1/vendors',
    operationId: 'listVendors',
    summary: 'The vendors the hub connects to, with the credential and config fields each needs',
    tags: ['Integrations'],
    scope: 'integrations:read',
    responses: { 200: { description: 'Every supported vendor.', schema: vendorListSchema } },
    handle: async () => ({ status: 200, body: { items: catalog(), nextCursor: null } }),
  }),
);
