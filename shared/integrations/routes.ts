import { defineApiRoute, problemSchema } from '../api/api-route';
import { recovered } from '../idempotency/replay-body';
import {
  createIntegrationBody,
  integrationIdParams,
  integrationListQuery,
  integrationListSchema,
  integrationSchema,
  skipTestQuery,
  testConnectionBody,
  testResultSchema,
  updateIntegrationBody,
} from './api-schemas';
import { integrationDeps } from './deps';
import {
  createIntegration,
  deleteIntegration,
  getIntegration,
  listIntegrations,
  openIntegrationSession,
  testUnsavedConnection,
  updateIntegration,
} from './integrations';
import { probeOnce, toTestResult } from './probe-once';
import { integrationsRouteHeads as heads } from './route-heads';

const TAGS = ['Integrations'];
const notFound = { description: 'No such integration in this tenant.', schema: problemSchema };
const testFailed = {
  description:
    'The connection test failed (`integration_test_failed`; `test` holds the result), or a Datto RMM / Datto EDR config lacks the key expiry its vendor does not report (`expiry_date_required`, with `field`); nothing was saved.',
  schema: problemSchema,
};

/** API routes by operationId; functions/integrations-api.ts registers each (docs/decisions.md §38); status, probe history and recheck are shared/probes/routes.ts'. */
export const routes = {
  createIntegration: defineApiRoute({
    ...heads.createIntegration,
    summary: 'Connect a vendor account (tests the credentials first unless skipTest=true)',
    tags: TAGS,
    body: createIntegrationBody,
    query: skipTestQuery,
    responses: {
      201: { description: 'Created (never with credentials).', schema: integrationSchema },
      422: testFailed,
    },
    recoverCreate: ({ principal }, created) =>
      recovered(201, () => getIntegration(integrationDeps(), principal, created.resourceId)),
    handle: async ({ principal, body, query, correlationId, idempotency }) => ({
      status: 201,
      body: await createIntegration(integrationDeps(), principal, body, {
        skipTest: query.skipTest,
        correlationId,
        id: idempotency?.resourceId,
      }),
    }),
  }),
  testConnection: defineApiRoute({
    ...heads.testConnection,
    summary: 'Test credentials without saving them',
    tags: TAGS,
    body: testConnectionBody,
    responses: { 200: { description: 'The test result (ok or not).', schema: testResultSchema } },
    handle: async ({ principal, body, correlationId }) => ({
      status: 200,
      body: await testUnsavedConnection(principal, body, correlationId),
    }),
  }),
  listIntegrations: defineApiRoute({
    ...heads.listIntegrations,
    summary: "List this tenant's integrations, newest first",
    tags: TAGS,
    query: integrationListQuery,
    responses: { 200: { description: 'A page of integrations.', schema: integrationListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listIntegrations(integrationDeps(), principal, query),
    }),
  }),
  getIntegration: defineApiRoute({
    ...heads.getIntegration,
    summary: 'Get one integration (never its credentials)',
    tags: TAGS,
    params: integrationIdParams,
    responses: { 200: { description: 'The integration.', schema: integrationSchema }, 404: notFound },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getIntegration(integrationDeps(), principal, params.id),
    }),
  }),
  updateIntegration: defineApiRoute({
    ...heads.updateIntegration,
    summary: 'Rename, reconfigure, replace credentials or make default (connection changes are tested)',
    tags: TAGS,
    params: integrationIdParams,
    query: skipTestQuery,
    body: updateIntegrationBody,
    responses: {
      200: { description: 'The updated integration.', schema: integrationSchema },
      404: notFound,
      409: { description: 'Changed concurrently; read it again and retry.', schema: problemSchema },
      422: {
        description:
          'The connection test failed (`integration_test_failed`, with `test`), or the config adds a destination without fresh credentials (`destination_change_needs_credentials`); nothing was saved or sent.',
        schema: problemSchema,
      },
    },
    handle: async ({ principal, params, query, body, correlationId }) => ({
      status: 200,
      body: await updateIntegration(integrationDeps(), principal, params.id, body, {
        skipTest: query.skipTest,
        correlationId,
      }),
    }),
  }),
  deleteIntegration: defineApiRoute({
    ...heads.deleteIntegration,
    summary: 'Delete an integration and its credentials (immediate)',
    tags: TAGS,
    params: integrationIdParams,
    responses: { 204: { description: 'Deleted.' }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => {
      await deleteIntegration(integrationDeps(), principal, params.id, correlationId);
      return { status: 204 };
    },
  }),
  testIntegration: defineApiRoute({
    ...heads.testIntegration,
    summary: 'Test a saved integration now (does not change its status)',
    tags: TAGS,
    params: integrationIdParams,
    responses: { 200: { description: 'The test result.', schema: testResultSchema }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => {
      const { connector, session } = await openIntegrationSession(
        integrationDeps(),
        principal.tenantId,
        params.id,
        correlationId,
      );
      return { status: 200, body: toTestResult(await probeOnce(connector, session)) };
    },
  }),
};
