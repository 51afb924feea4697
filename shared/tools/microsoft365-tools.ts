import { z } from 'zod';
import { connector as microsoft365 } from '../vendors/microsoft365';
import {
  blockSignIn,
  changeLicense,
  GRAPH_MAX_PAGES,
  GRAPH_PAGE_SIZE,
  type GraphRecord,
  listGroups,
  listLicenseDetails,
  listSubscribedSkus,
  listUsers,
  readMailboxSettings,
  resetPassword,
} from '../vendors/microsoft365/directory';
import { guidArg, READS_CHANGE_NOTHING } from './args';
import { defineTool, type ToolDefinition } from './definition';
import { listResult } from './list-output';
import { pathSegmentArg } from './path-segment';

/**
 * Microsoft 365 tools: directory reads (users, groups, mailbox settings, licences) and the
 * lifecycle writes an MSP runs when someone leaves or an account is compromised. Every write
 * changes the customer's tenant, so it always waits for an approval.
 */

const CAP = `${GRAPH_PAGE_SIZE} a page, at most ${GRAPH_PAGE_SIZE * GRAPH_MAX_PAGES}`;
const str = (item: GraphRecord, key: string) => (typeof item[key] === 'string' ? item[key] : '');
const userArg = pathSegmentArg(320, 'User id or userPrincipalName.');

const users = defineTool(microsoft365, {
  id: 'microsoft365.user.list',
  vendor: 'microsoft365',
  title: 'List users',
  description: `GET /v1.0/users?$select=…&$top=… following @odata.nextLink (${CAP}).`,
  writes: false,
  args: z.strictObject({}),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session) => {
    const read = await listUsers(session);
    const result = listResult(
      'user',
      read,
      (u) => str(u, 'id'),
      (u) => str(u, 'userPrincipalName'),
    );
    const disabled = read.items.filter((u) => u.accountEnabled === false).length;
    return { ...result, output: { ...result.output, disabled } };
  },
});

const groups = defineTool(microsoft365, {
  id: 'microsoft365.group.list',
  vendor: 'microsoft365',
  title: 'List groups',
  description: `GET /v1.0/groups?$select=…&$top=… following @odata.nextLink (${CAP}).`,
  writes: false,
  args: z.strictObject({}),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session) =>
    listResult(
      'group',
      await listGroups(session),
      (g) => str(g, 'id'),
      (g) => str(g, 'displayName'),
    ),
});

const mailbox = defineTool(microsoft365, {
  id: 'microsoft365.mailbox.settings',
  vendor: 'microsoft365',
  title: 'Read mailbox settings',
  description: 'GET /v1.0/users/{id}/mailboxSettings: time zone, language, automatic replies.',
  writes: false,
  args: z.strictObject({ user: userArg }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const settings = await readMailboxSettings(session, args);
    return {
      summary: `mailbox of ${args.user}: automatic replies ${settings.automaticRepliesStatus ?? 'unknown'}`,
      output: { ...settings },
    };
  },
});

const skus = defineTool(microsoft365, {
  id: 'microsoft365.license.subscribed',
  vendor: 'microsoft365',
  title: 'List subscribed licences',
  description: 'GET /v1.0/subscribedSkus: the licences the tenant has, with bought and assigned counts.',
  writes: false,
  args: z.strictObject({}),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session) => {
    const read = await listSubscribedSkus(session);
    const result = listResult(
      'licence',
      read,
      (s) => str(s, 'skuId'),
      (s) => str(s, 'skuPartNumber'),
    );
    const free = read.items.reduce((sum, sku) => {
      const enabled = Number((sku.prepaidUnits as GraphRecord | undefined)?.enabled ?? 0);
      const used = Number(sku.consumedUnits ?? 0);
      return sum + Math.max(0, (Number.isFinite(enabled) ? enabled : 0) - (Number.isFinite(used) ? used : 0));
    }, 0);
    return { ...result, output: { ...result.output, unassigned: free } };
  },
});

const assigned = defineTool(microsoft365, {
  id: 'microsoft365.license.assigned',
  vendor: 'microsoft365',
  title: "List a user's licences",
  description: 'GET /v1.0/users/{id}/licenseDetails: the licences assigned to one user.',
  writes: false,
  args: z.strictObject({ user: userArg }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) =>
    listResult(
      'licence',
      await listLicenseDetails(session, args),
      (d) => str(d, 'skuId'),
      (d) => str(d, 'skuPartNumber'),
    ),
});

const block = defineTool(microsoft365, {
  id: 'microsoft365.user.block_sign_in',
  vendor: 'microsoft365',
  title: 'Block sign-in',
  description: 'PATCH /v1.0/users/{id} {accountEnabled: false}. Always needs an approval.',
  writes: true,
  alwaysRequiresApproval: true,
  args: z.strictObject({ user: userArg }),
  checkAtVendor: (args) => `whether ${args.user} shows "Block sign in" in the Microsoft 365 admin center`,
  run: async (session, args) => {
    await blockSignIn(session, args);
    return { summary: `sign-in blocked for ${args.user}`, output: { user: args.user, accountEnabled: false } };
  },
});

const reset = defineTool(microsoft365, {
  id: 'microsoft365.user.reset_password',
  vendor: 'microsoft365',
  title: 'Reset a password',
  description:
    'PATCH /v1.0/users/{id} {passwordProfile}: replaces the password with a random one that must be changed at next sign-in; the value is never stored or shown. Always needs an approval.',
  writes: true,
  alwaysRequiresApproval: true,
  args: z.strictObject({ user: userArg }),
  checkAtVendor: (args) => `the "last password change" of ${args.user} in Entra ID`,
  run: async (session, args) => {
    const { password } = await resetPassword(session, args);
    return {
      summary: `password of ${args.user} replaced; the user must set a new one at next sign-in`,
      output: { user: args.user },
      secret: { label: `temporary password of ${args.user}`, value: password },
    };
  },
});

function licenceTool(change: 'assign' | 'remove'): ToolDefinition {
  return defineTool(microsoft365, {
    id: `microsoft365.license.${change}`,
    vendor: 'microsoft365',
    title: change === 'assign' ? 'Assign a licence' : 'Remove a licence',
    description: `POST /v1.0/users/{id}/assignLicense with the SKU in ${change === 'assign' ? 'addLicenses' : 'removeLicenses'}. Always needs an approval.`,
    writes: true,
    alwaysRequiresApproval: true,
    args: z.strictObject({ user: userArg, skuId: guidArg('The licence SKU id (from subscribedSkus).') }),
    checkAtVendor: (args) => `the licences of ${args.user} for SKU ${args.skuId}`,
    run: async (session, args) => {
      await changeLicense(session, { ...args, change });
      return {
        summary: `licence ${args.skuId} ${change === 'assign' ? 'assigned to' : 'removed from'} ${args.user}`,
        output: { user: args.user, skuId: args.skuId },
      };
    },
  });
}

export const MICROSOFT365_TOOLS: readonly ToolDefinition[] = [
  users,
  groups,
  mailbox,
  skus,
  assigned,
  block,
  reset,
  licenceTool('assign'),
  licenceTool('remove'),
];
