import { z } from 'zod';
import { connector as itglue } from '../vendors/itglue';
import {
  ITGLUE_MAX_PAGES,
  ITGLUE_PAGE_SIZE,
  type ItGlueItem,
  listConfigurations,
  listOrganizations,
  listPasswords,
  revealPassword,
} from '../vendors/itglue/documents';
import { READS_CHANGE_NOTHING, text } from './args';
import { defineTool, type ToolDefinition } from './definition';
import { listResult } from './list-output';
import { pathSegmentArg } from './path-segment';

/**
 * IT Glue tools (read only, like every IT Glue module). Password lists carry names, never values;
 * `itglue.password.reveal` is the only tool that reads a value, it always waits for an approval,
 * and it hands the value back as the result's `secret`, which nothing stores (docs/tools.md).
 */

const CAP = `${ITGLUE_PAGE_SIZE} a page, at most ${ITGLUE_PAGE_SIZE * ITGLUE_MAX_PAGES}`;
const id = (item: ItGlueItem) => item.id;
const name = (item: ItGlueItem) => item.name;
const organizationId = pathSegmentArg(20, 'The IT Glue organization id.');

const organizations = defineTool(itglue, {
  id: 'itglue.organization.list',
  vendor: 'itglue',
  title: 'List organizations',
  description: `GET /organizations (optionally filter[name]), paged with page[number] (${CAP}).`,
  writes: false,
  args: z.strictObject({ name: text(200, 'Only organizations with this name.').optional() }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => listResult('organization', await listOrganizations(session, args), id, name),
});

const configurations = defineTool(itglue, {
  id: 'itglue.configuration.list',
  vendor: 'itglue',
  title: "List an organization's configurations",
  description: `GET /configurations?filter[organization_id]=…, paged (${CAP}).`,
  writes: false,
  args: z.strictObject({ organizationId }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => listResult('configuration', await listConfigurations(session, args), id, name),
});

const passwords = defineTool(itglue, {
  id: 'itglue.password.list',
  vendor: 'itglue',
  title: "List an organization's passwords (names only)",
  description: `GET /organizations/{id}/relationships/passwords, paged (${CAP}); names and categories, never values.`,
  writes: false,
  args: z.strictObject({ organizationId }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => listResult('password', await listPasswords(session, args), id, name),
});

const reveal = defineTool(itglue, {
  id: 'itglue.password.reveal',
  vendor: 'itglue',
  title: 'Reveal a password',
  description:
    'GET /passwords/{id}?show_password=true: reads one password value for the caller only; it is never stored, logged or shown in the run. Always needs an approval.',
  writes: false,
  alwaysRequiresApproval: true,
  args: z.strictObject({ passwordId: pathSegmentArg(20, 'The IT Glue password id.') }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const found = await revealPassword(session, args);
    return {
      summary: `password ${found.id} "${found.name}" read`,
      output: { passwordId: found.id, name: found.name, username: found.username },
      secret: { label: `password ${found.id} "${found.name}"`, value: found.password },
    };
  },
});

export const ITGLUE_TOOLS: readonly ToolDefinition[] = [organizations, configurations, passwords, reveal];
