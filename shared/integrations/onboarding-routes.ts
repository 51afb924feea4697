import { defineApiRoute, problemSchema } from '../api/api-route';
import { integrationIdParams, skipTestQuery } from './api-schemas';
import { integrationDeps } from './deps';
import { listGdapCustomers, onboardGdapCustomers } from './gdap-onboarding';
import { gdapCustomerListSchema, gdapOnboardBody, gdapOnboardResultSchema } from './gdap-schemas';
import { integrationOnboardingRouteHeads as heads } from './route-heads';

const TAGS = ['Integrations'];
const notFound = { description: 'No such integration in this tenant.', schema: problemSchema };
const notPartner = {
  description: 'Not a Microsoft 365 integration, or `checkGdap` is off (`validation_failed`).',
  schema: problemSchema,
};
const vendorFailed = { description: 'Graph refused or failed the GDAP listing.', schema: problemSchema };

/** API routes by operationId; functions/integrations-onboarding-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listGdapCustomers: defineApiRoute({
    ...heads.listGdapCustomers,
    summary: 'Customer tenants a Microsoft 365 partner reaches through GDAP (status, roles, end date)',
    tags: TAGS,
    params: integrationIdParams,
    responses: {
      200: { description: 'The customers, by name.', schema: gdapCustomerListSchema },
      404: notFound,
      422: notPartner,
      502: vendorFailed,
    },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await listGdapCustomers(integrationDeps(), principal, params.id, correlationId),
    }),
  }),
  onboardGdapCustomers: defineApiRoute({
    ...heads.onboardGdapCustomers,
    summary: 'Create one Microsoft 365 integration per chosen GDAP customer, in one call',
    description:
      "Each customer integration uses the partner's app credentials (copied server-side) against the customer's tenant id and is tested like any create unless `skipTest=true`. Customers without an active relationship, not reached through GDAP, or already integrated are reported, not created.",
    tags: TAGS,
    params: integrationIdParams,
    query: skipTestQuery,
    body: gdapOnboardBody,
    responses: {
      200: { description: 'One result per customer asked for.', schema: gdapOnboardResultSchema },
      404: notFound,
      422: notPartner,
      502: vendorFailed,
    },
    handle: async ({ principal, params, query, body, correlationId }) => ({
      status: 200,
      body: await onboardGdapCustomers(
        integrationDeps(),
        principal,
        params.id,
        { customers: body.customers, skipTest: query.skipTest },
        correlationId,
      ),
    }),
  }),
};
