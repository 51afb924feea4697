import type { VendorRequest, VendorResponse } from '../contract';
import { badResponse, expectOk, isRecord, numberAt, stringAt } from '../core/errors';
import { readPax8Message } from './api';
import { pax8Endpoints } from './config';
import { type Pax8Session, pax8Call } from './index';

/**
 * Pax8 partner API actions for tool calls (its Partner Endpoints description: `GET /companies`,
 * `GET /subscriptions`, `GET /orders`, `POST /orders`, `PUT /subscriptions/{id}`). Lists page with
 * `page`/`size` and read the response's `page` object; they stop after PAX8_MAX_PAGES pages of
 * PAX8_PAGE_SIZE (the largest size Pax8 allows), so one tool call reads at most 1000 records
 * (docs/tools.md). Placing an order and changing a quantity bill the customer: their tools always
 * wait for an approval (shared/tools/pax8-tools.ts).
 */
export const PAX8_PAGE_SIZE = 200;
export const PAX8_MAX_PAGES = 5;

export type Pax8Record = Record<string, unknown>;

export const PAX8_BILLING_TERMS = ['Monthly', 'Annual', '2-Year', '3-Year', 'One-Time', 'Trial', 'Activation'] as const;
export type Pax8BillingTerm = (typeof PAX8_BILLING_TERMS)[number];

function request(
  session: Pax8Session,
  operation: string,
  method: VendorRequest['method'],
  pathAndQuery: string,
  json?: unknown,
): Promise<VendorResponse> {
  const url = `${pax8Endpoints(session.config).apiRoot}${pathAndQuery}`;
  return pax8Call(session, (token) => ({
    operation,
    method,
    url,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    ...(json !== undefined ? { json } : {}),
  }));
}

/** Reads `/{collection}?page=n&size=200&…` until the last page or the page cap. */
async function listPages(
  session: Pax8Session,
  operation: string,
  collection: string,
  filters: Record<string, string | undefined>,
): Promise<{ items: Pax8Record[]; capped: boolean }> {
  const items: Pax8Record[] = [];
  for (let page = 0; page < PAX8_MAX_PAGES; page++) {
    const query = new URLSearchParams({ page: String(page), size: String(PAX8_PAGE_SIZE) });
    for (const [name, value] of Object.entries(filters)) if (value !== undefined) query.set(name, value);
    const response = await request(session, operation, 'GET', `/${collection}?${query}`);
    expectOk('pax8', operation, response, readPax8Message);
    const body = response.body;
    if (!isRecord(body) || !Array.isArray(body.content)) {
      throw badResponse('pax8', operation, response, `GET /${collection} answered without a page of content`);
    }
    const content = body.content.filter(isRecord);
    items.push(...content);
    const totalPages = numberAt(body, 'page', 'totalPages');
    const last = totalPages !== undefined ? page + 1 >= totalPages : content.length < PAX8_PAGE_SIZE;
    if (last) return { items, capped: false };
  }
  return { items, capped: true };
}

export function listCompanies(session: Pax8Session, input: { status?: string | undefined }) {
  return listPages(session, 'companies.list', 'companies', { status: input.status });
}

export function listSubscriptions(
  session: Pax8Session,
  input: { companyId?: string | undefined; status?: string | undefined },
) {
  return listPages(session, 'subscriptions.list', 'subscriptions', {
    companyId: input.companyId,
    status: input.status,
  });
}

export function listOrders(session: Pax8Session, input: { companyId?: string | undefined }) {
  return listPages(session, 'orders.list', 'orders', { companyId: input.companyId });
}

export interface OrderLine {
  companyId: string;
  productId: string;
  quantity: number;
  billingTerm: Pax8BillingTerm;
  commitmentTermId?: string | undefined;
  provisioningDetails: Array<{ key: string; values: string[] }>;
  /** `?isMock=true`: Pax8 validates the order and stores nothing. */
  dryRun: boolean;
}

/**
 * `POST /orders[?isMock=true]` with one line item. Pax8's `CreateLineItem` lists `companyId` among
 * its required fields (without declaring it as a property), so the line carries it as well as the
 * order (docs/vendor-fidelity.md); `lineItemNumber` 1 is the reference a child line would use.
 */
export async function placeOrder(session: Pax8Session, input: OrderLine): Promise<{ orderId: string | null }> {
  const line: Record<string, unknown> = {
    productId: input.productId,
    companyId: input.companyId,
    lineItemNumber: 1,
    quantity: input.quantity,
    billingTerm: input.billingTerm,
    ...(input.commitmentTermId !== undefined ? { commitmentTermId: input.commitmentTermId } : {}),
    ...(input.provisioningDetails.length > 0 ? { provisioningDetails: input.provisioningDetails } : {}),
  };
  const response = await request(session, 'order.create', 'POST', `/orders${input.dryRun ? '?isMock=true' : ''}`, {
    companyId: input.companyId,
    lineItems: [line],
  });
  expectOk('pax8', 'order.create', response, readPax8Message);
  if (!isRecord(response.body))
    throw badResponse('pax8', 'order.create', response, 'POST /orders answered without an order');
  // A mock order is validated only, so Pax8 may answer without an id.
  return { orderId: stringAt(response.body, 'id') ?? null };
}

/** `PUT /subscriptions/{id} {quantity}`: Pax8 needs at least one of price, billingTerm, quantity, startDate. */
export async function changeSubscriptionQuantity(
  session: Pax8Session,
  input: { subscriptionId: string; quantity: number },
): Promise<{ quantity: number }> {
  const response = await request(
    session,
    'subscription.update',
    'PUT',
    `/subscriptions/${encodeURIComponent(input.subscriptionId)}`,
    { quantity: input.quantity },
  );
  expectOk('pax8', 'subscription.update', response, readPax8Message);
  return { quantity: numberAt(response.body, 'quantity') ?? input.quantity };
}
