import { z } from 'zod';
import { connector as pax8 } from '../vendors/pax8';
import {
  changeSubscriptionQuantity,
  listCompanies,
  listOrders,
  listSubscriptions,
  PAX8_BILLING_TERMS,
  PAX8_MAX_PAGES,
  PAX8_PAGE_SIZE,
  type Pax8Record,
  placeOrder,
} from '../vendors/pax8/actions';
import { boolish, guidArg, READS_CHANGE_NOTHING, text } from './args';
import { defineTool, type ToolDefinition } from './definition';
import { listResult } from './list-output';

/**
 * Pax8 tools: the partner's companies, subscriptions and orders, and the two writes an MSP makes
 * in Pax8 — ordering a product for a customer and changing a subscription's seat count. Both
 * writes bill the customer, so they always wait for an approval (docs/tools.md).
 */

const CAP = `${PAX8_PAGE_SIZE} a page, at most ${PAX8_PAGE_SIZE * PAX8_MAX_PAGES}`;
const str = (item: Pax8Record, key: string) => (typeof item[key] === 'string' ? item[key] : '');
const companyFilter = guidArg('Only this Pax8 company (customer) id.').optional();

const companies = defineTool(pax8, {
  id: 'pax8.company.list',
  vendor: 'pax8',
  title: 'List companies',
  description: `GET /v1/companies?page=…&size=… (${CAP}).`,
  writes: false,
  args: z.strictObject({
    status: z.enum(['Active', 'Inactive', 'Deleted']).optional().describe('Only companies with this status.'),
  }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) =>
    listResult(
      // Pax8 companies are the partner's customers (and "customers" reads right in a summary).
      'customer',
      await listCompanies(session, args),
      (c) => str(c, 'id'),
      (c) => str(c, 'name'),
    ),
});

const subscriptions = defineTool(pax8, {
  id: 'pax8.subscription.list',
  vendor: 'pax8',
  title: 'List subscriptions',
  description: `GET /v1/subscriptions?companyId=…&page=…&size=… (${CAP}).`,
  writes: false,
  args: z.strictObject({
    companyId: companyFilter,
    status: z
      .enum([
        'Active',
        'Cancelled',
        'PendingManual',
        'PendingAutomated',
        'PendingCancel',
        'WaitingForDetails',
        'Trial',
        'Converted',
        'PendingActivation',
        'Activated',
      ])
      .optional()
      .describe('Only subscriptions with this status.'),
  }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const read = await listSubscriptions(session, args);
    const result = listResult(
      'subscription',
      read,
      (s) => str(s, 'id'),
      (s) => str(s, 'productName') || str(s, 'productId'),
    );
    const seats = read.items.reduce((sum, s) => sum + (typeof s.quantity === 'number' ? s.quantity : 0), 0);
    return { ...result, output: { ...result.output, seats } };
  },
});

const orders = defineTool(pax8, {
  id: 'pax8.order.list',
  vendor: 'pax8',
  title: 'List orders',
  description: `GET /v1/orders?companyId=…&page=…&size=… (${CAP}; Pax8 does not list scheduled orders).`,
  writes: false,
  args: z.strictObject({ companyId: companyFilter }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) =>
    listResult(
      'order',
      await listOrders(session, args),
      (o) => str(o, 'id'),
      (o) => str(o, 'createdDate') || str(o, 'id'),
    ),
});

const quantityArg = (what: string) => z.coerce.number().int().min(1).max(100_000).describe(what);

const placeOrderTool = defineTool(pax8, {
  id: 'pax8.order.place',
  vendor: 'pax8',
  title: 'Place an order',
  description:
    'POST /v1/orders with one line item (product, quantity, billing term, provisioning details); dryRun sends ?isMock=true, which Pax8 validates without ordering. Always needs an approval.',
  writes: true,
  alwaysRequiresApproval: true,
  args: z.strictObject({
    companyId: guidArg('The Pax8 company (customer) id.'),
    productId: guidArg('The Pax8 product id.'),
    quantity: quantityArg('How many units (seats).'),
    billingTerm: z.enum(PAX8_BILLING_TERMS).describe('The billing term of the line.'),
    commitmentTermId: guidArg('The commitment term id, for products that require one.').optional(),
    provisioningDetails: z
      .record(
        z
          .string()
          .min(1)
          .max(100)
          .regex(/^[A-Za-z0-9_.-]+$/),
        z.union([text(1000, 'A value.'), z.array(text(1000, 'A value.')).min(1).max(50)]),
      )
      .default({})
      .describe('Provisioning detail values by key (as Pax8 lists them for the product).'),
    dryRun: boolish.default(false),
  }),
  checkAtVendor: (args) =>
    `the orders of company ${args.companyId} in Pax8 for product ${args.productId} (quantity ${args.quantity})`,
  run: async (session, args) => {
    const provisioningDetails = Object.entries(args.provisioningDetails).map(([key, value]) => ({
      key,
      values: Array.isArray(value) ? value : [value],
    }));
    const { orderId } = await placeOrder(session, { ...args, provisioningDetails });
    return {
      summary: args.dryRun
        ? `order for ${args.quantity} × product ${args.productId} validated by Pax8 (dry run, nothing ordered)`
        : `order ${orderId ?? '(no id)'} placed: ${args.quantity} × product ${args.productId} for company ${args.companyId}`,
      output: { orderId, dryRun: args.dryRun, quantity: args.quantity },
    };
  },
});

const setQuantity = defineTool(pax8, {
  id: 'pax8.subscription.set_quantity',
  vendor: 'pax8',
  title: 'Change a subscription quantity',
  description: 'PUT /v1/subscriptions/{id} {quantity}: sets the seat count. Always needs an approval.',
  writes: true,
  alwaysRequiresApproval: true,
  args: z.strictObject({
    subscriptionId: guidArg('The Pax8 subscription id.'),
    quantity: quantityArg('The new quantity.'),
  }),
  checkAtVendor: (args) => `the quantity of subscription ${args.subscriptionId} in Pax8 (expected ${args.quantity})`,
  run: async (session, args) => {
    const { quantity } = await changeSubscriptionQuantity(session, args);
    return {
      summary: `subscription ${args.subscriptionId} set to quantity ${quantity}`,
      output: { subscriptionId: args.subscriptionId, quantity },
    };
  },
});

export const PAX8_TOOLS: readonly ToolDefinition[] = [companies, subscriptions, orders, placeOrderTool, setQuantity];
