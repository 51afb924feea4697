import { defineApiRoute, problemSchema } from '../api/api-route';
import {
  companyIdParams,
  companyListSchema,
  compareContactSchema,
  compareSchema,
  conflictIdParams,
  conflictListQuery,
  conflictListSchema,
  contactIdParams,
  contactListSchema,
  contactMergeResultSchema,
  contactSchema,
  contactUnmergeResultSchema,
  matchResultSchema,
  mergeBody,
  mergeResultSchema,
  pageQuery,
  resolveBody,
  resolveResultSchema,
  resyncBody,
  resyncResultSchema,
  unmergeResultSchema,
} from './api-schemas';
import { compareCompany, listCompanies, matchCompanies, resyncCompany } from './companies';
import { listConflicts, resolveConflict } from './conflicts';
import { compareContact, getContact, listContacts, matchContacts, resyncContact } from './contacts';
import { entityDeps } from './deps';
import { mergeCompanies, mergeContacts, unmergeCompany, unmergeContact } from './merges';
import { entityRouteHeads as heads } from './route-heads';

const TAGS = ['Entity sync'];
const notFound = (what: string) => ({ description: `No such ${what} in this tenant.`, schema: problemSchema });

/** API routes by operationId; functions/entities-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listEntityCompanies: defineApiRoute({
    ...heads.listEntityCompanies,
    summary: 'List canonical companies with their links to each product and the last sync of each',
    tags: TAGS,
    query: pageQuery,
    responses: { 200: { description: 'A page of companies.', schema: companyListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listCompanies(entityDeps(), principal, query),
    }),
  }),
  matchEntityCompanies: defineApiRoute({
    ...heads.matchEntityCompanies,
    summary: 'Read every product’s companies and link each to a canonical company',
    description:
      'Matching by external id first, then normalised name and web domain. A second record of the same product matching a company is flagged `possibleDuplicateOf`, never merged.',
    tags: TAGS,
    responses: { 200: { description: 'What the match did.', schema: matchResultSchema } },
    handle: async ({ principal, correlationId }) => ({
      status: 200,
      body: await matchCompanies(entityDeps(), principal, correlationId),
    }),
  }),
  mergeEntityCompanies: defineApiRoute({
    ...heads.mergeEntityCompanies,
    summary: 'Merge two canonical companies: the loser’s links move to the winner, the loser becomes an alias',
    description: 'Reversible with `POST /api/v1/entities/companies/{id}/unmerge` on the loser.',
    tags: TAGS,
    body: mergeBody,
    responses: {
      200: { description: 'Both companies after the merge.', schema: mergeResultSchema },
      404: notFound('company'),
      409: { description: 'One of them is already merged elsewhere (`entity_merged`).', schema: problemSchema },
    },
    handle: async ({ principal, body }) => ({ status: 200, body: await mergeCompanies(entityDeps(), principal, body) }),
  }),
  unmergeEntityCompany: defineApiRoute({
    ...heads.unmergeEntityCompany,
    summary: 'Reverse a merge: the alias’s own links move back to it',
    tags: TAGS,
    params: companyIdParams,
    responses: {
      200: { description: 'The company and the one it had been merged into.', schema: unmergeResultSchema },
      404: notFound('company'),
      409: { description: 'The company is not merged (`entity_not_merged`).', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await unmergeCompany(entityDeps(), principal, params.id),
    }),
  }),
  compareEntityCompany: defineApiRoute({
    ...heads.compareEntityCompany,
    summary: 'Each linked product’s values of a company side by side (read now)',
    tags: TAGS,
    params: companyIdParams,
    responses: { 200: { description: 'The comparison.', schema: compareSchema }, 404: notFound('company') },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await compareCompany(entityDeps(), principal, params.id, correlationId),
    }),
  }),
  listEntityContacts: defineApiRoute({
    ...heads.listEntityContacts,
    summary: 'List canonical contacts with their links to each product and their canonical company',
    tags: TAGS,
    query: pageQuery,
    responses: { 200: { description: 'A page of contacts.', schema: contactListSchema } },
    handle: async ({ principal, query }) => ({ status: 200, body: await listContacts(entityDeps(), principal, query) }),
  }),
  matchEntityContacts: defineApiRoute({
    ...heads.matchEntityContacts,
    summary: 'Read every product’s contacts and link each to a canonical contact',
    description:
      'Matching by external id first, then normalised e-mail, then normalised name within the same canonical company (match companies first). A second record of the same product matching a contact is flagged `possibleDuplicateOf`, never merged.',
    tags: TAGS,
    responses: { 200: { description: 'What the match did.', schema: matchResultSchema } },
    handle: async ({ principal, correlationId }) => ({
      status: 200,
      body: await matchContacts(entityDeps(), principal, correlationId),
    }),
  }),
  mergeEntityContacts: defineApiRoute({
    ...heads.mergeEntityContacts,
    summary: 'Merge two canonical contacts: the loser’s links move to the winner, the loser becomes an alias',
    description: 'Reversible with `POST /api/v1/entities/contacts/{id}/unmerge` on the loser.',
    tags: TAGS,
    body: mergeBody,
    responses: {
      200: { description: 'Both contacts after the merge.', schema: contactMergeResultSchema },
      404: notFound('contact'),
      409: { description: 'One of them is already merged elsewhere (`entity_merged`).', schema: problemSchema },
    },
    handle: async ({ principal, body }) => ({ status: 200, body: await mergeContacts(entityDeps(), principal, body) }),
  }),
  unmergeEntityContact: defineApiRoute({
    ...heads.unmergeEntityContact,
    summary: 'Reverse a contact merge: the alias’s own links move back to it',
    tags: TAGS,
    params: contactIdParams,
    responses: {
      200: { description: 'The contact and the one it had been merged into.', schema: contactUnmergeResultSchema },
      404: notFound('contact'),
      409: { description: 'The contact is not merged (`entity_not_merged`).', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await unmergeContact(entityDeps(), principal, params.id),
    }),
  }),
  getEntityContact: defineApiRoute({
    ...heads.getEntityContact,
    summary: 'One canonical contact with its links and last sync per product',
    tags: TAGS,
    params: contactIdParams,
    responses: { 200: { description: 'The contact.', schema: contactSchema }, 404: notFound('contact') },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getContact(entityDeps(), principal, params.id),
    }),
  }),
  compareEntityContact: defineApiRoute({
    ...heads.compareEntityContact,
    summary: 'Each linked product’s values of a contact side by side (read now)',
    tags: TAGS,
    params: contactIdParams,
    responses: { 200: { description: 'The comparison.', schema: compareContactSchema }, 404: notFound('contact') },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await compareContact(entityDeps(), principal, params.id, correlationId),
    }),
  }),
  resyncEntity: defineApiRoute({
    ...heads.resyncEntity,
    summary: 'Sync one canonical entity now: one-sided changes propagate, two-sided ones become conflicts',
    tags: TAGS,
    body: resyncBody,
    responses: {
      200: { description: 'What the resync did.', schema: resyncResultSchema },
      404: notFound('company or contact'),
      409: { description: 'The entity changed meanwhile (`entity_changed`).', schema: problemSchema },
    },
    handle: async ({ principal, body, correlationId }) => ({
      status: 200,
      body:
        body.entity === 'contact'
          ? await resyncContact(entityDeps(), principal, body.id, correlationId)
          : await resyncCompany(entityDeps(), principal, body.id, correlationId),
    }),
  }),
  listSyncConflicts: defineApiRoute({
    ...heads.listSyncConflicts,
    summary: 'List conflicts: a field two products changed differently since the last sync',
    tags: TAGS,
    query: conflictListQuery,
    responses: { 200: { description: 'A page of conflicts.', schema: conflictListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listConflicts(entityDeps(), principal, query),
    }),
  }),
  resolveSyncConflict: defineApiRoute({
    ...heads.resolveSyncConflict,
    summary: 'Resolve a conflict with a product’s version or a value; written to every product that allows writes',
    tags: TAGS,
    params: conflictIdParams,
    body: resolveBody,
    responses: {
      200: { description: 'The resolved conflict.', schema: resolveResultSchema },
      404: notFound('conflict'),
      409: { description: 'Already resolved (`conflict_resolved`).', schema: problemSchema },
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await resolveConflict(entityDeps(), principal, params.id, body, correlationId),
    }),
  }),
};
