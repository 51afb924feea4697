import { defineApiRoute, problemSchema } from '../api/api-route';
import { integrationIdParams } from '../integrations/api-schemas';
import type { SyncEntity } from './adapter';
import {
  recordGetQuery,
  recordListQuery,
  recordParams,
  startSyncBody,
  syncedRecordListSchema,
  syncedRecordSchema,
  syncedTicketSchema,
  syncRunIdParams,
  syncRunListQuery,
  syncRunListSchema,
  syncRunSchema,
} from './api-schemas';
import { syncDeps } from './deps';
import { getSyncedRecord, getSyncedTicket, listSyncedRecords } from './record-list';
import { syncRouteHeads as heads } from './route-heads';
import { getSyncRun, listSyncRuns, startSync, stopSyncRun } from './runs';

const TAGS = ['Sync'];
const notFound = (what: string) => ({ description: `No such ${what} in this tenant.`, schema: problemSchema });

function recordRoutes<
  L extends 'listTickets' | 'listAssets' | 'listClients' | 'listContacts',
  G extends 'getTicket' | 'getAsset' | 'getClient' | 'getContact',
>(entity: SyncEntity, list: L, get: G) {
  return {
    list: defineApiRoute({
      ...heads[list],
      summary: `List the ${entity} synced from an integration`,
      description:
        'Newest sync wins; one row per vendor id. Paged with `limit` and `cursor` (Table Storage continuation).',
      tags: TAGS,
      query: recordListQuery,
      responses: {
        200: { description: `A page of ${entity}.`, schema: syncedRecordListSchema },
        404: notFound('integration'),
      },
      handle: async ({ principal, query }) => ({
        status: 200,
        body: await listSyncedRecords(syncDeps(), principal, entity, query),
      }),
    }),
    get: defineApiRoute({
      ...heads[get],
      summary: `One synced ${entity.replace(/s$/, '')} by its vendor id`,
      tags: TAGS,
      params: recordParams,
      query: recordGetQuery,
      responses: {
        200:
          entity === 'tickets'
            ? { description: 'The ticket and its routing decision.', schema: syncedTicketSchema }
            : { description: 'The record.', schema: syncedRecordSchema },
        404: notFound('record'),
      },
      handle: async ({ principal, params, query }) => ({
        status: 200,
        body:
          entity === 'tickets'
            ? await getSyncedTicket(syncDeps(), principal, query.integrationId, params.id)
            : await getSyncedRecord(syncDeps(), principal, entity, query.integrationId, params.id),
      }),
    }),
  };
}

const tickets = recordRoutes('tickets', 'listTickets', 'getTicket');
const assets = recordRoutes('assets', 'listAssets', 'getAsset');
const clients = recordRoutes('clients', 'listClients', 'getClient');
const contacts = recordRoutes('contacts', 'listContacts', 'getContact');

/** API routes by operationId; functions/sync-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  startSync: defineApiRoute({
    ...heads.startSync,
    summary: 'Start a sync run of an integration (202; the run goes on in the background)',
    description:
      'One page per queue message; a crash resumes from the last committed page. At most one run per integration and entity at a time (`sync_already_running`).',
    tags: TAGS,
    params: integrationIdParams,
    body: startSyncBody,
    responses: {
      202: { description: 'The run, started.', schema: syncRunSchema },
      404: notFound('integration'),
      409: {
        description: 'A run of this integration and entity is running (`sync_already_running`).',
        schema: problemSchema,
      },
      422: { description: 'The vendor cannot sync an entity asked for (`sync_unsupported`).', schema: problemSchema },
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 202,
      body: await startSync(syncDeps(), principal, params.id, body, { correlationId }),
    }),
  }),
  listSyncRuns: defineApiRoute({
    ...heads.listSyncRuns,
    summary: 'List sync runs, newest first',
    tags: TAGS,
    query: syncRunListQuery,
    responses: { 200: { description: 'A page of runs.', schema: syncRunListSchema } },
    handle: async ({ principal, query }) => ({ status: 200, body: await listSyncRuns(syncDeps(), principal, query) }),
  }),
  getSyncRun: defineApiRoute({
    ...heads.getSyncRun,
    summary: 'One sync run: status, pages committed, counts, errors and data-quality warnings',
    tags: TAGS,
    params: syncRunIdParams,
    responses: { 200: { description: 'The run.', schema: syncRunSchema }, 404: notFound('sync run') },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getSyncRun(syncDeps(), principal, params.id),
    }),
  }),
  stopSyncRun: defineApiRoute({
    ...heads.stopSyncRun,
    summary: 'Ask a running sync run to stop before its next page',
    tags: TAGS,
    params: syncRunIdParams,
    responses: {
      200: { description: 'The run, with `stopRequested: true`.', schema: syncRunSchema },
      404: notFound('sync run'),
      409: { description: 'The run has already finished (`sync_run_finished`).', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await stopSyncRun(syncDeps(), principal, params.id),
    }),
  }),
  listTickets: tickets.list,
  getTicket: tickets.get,
  listAssets: assets.list,
  getAsset: assets.get,
  listClients: clients.list,
  getClient: clients.get,
  listContacts: contacts.list,
  getContact: contacts.get,
};
