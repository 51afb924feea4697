import { badResponse, expectOk, isRecord, numberAt } from '../core/errors';
import { readPax8Message } from './api';
import { pax8Endpoints } from './config';
import { type Pax8Session, pax8Call } from './index';

/**
 * Paged reads of Pax8 companies and a company's contacts for the sync engine (docs/sync.md,
 * "Pax8"), named as Pax8's partner endpoints description names them: `GET /companies` and
 * `GET /companies/{companyId}/contacts`, both with `page` (from 0) and `size` (1–200); the answer
 * is `{content: [...], page: {size, totalElements, totalPages, number}}`.
 */

/** Pax8's maximum `size` for its lists. */
export const PAX8_MAX_PAGE_SIZE = 200;

export type Pax8Listing = { kind: 'companies'; status?: string | undefined } | { kind: 'contacts'; companyId: string };

export interface Pax8Page {
  rows: Record<string, unknown>[];
  /** `page.totalPages`, when Pax8 sent it. */
  totalPages: number | undefined;
}

export function pax8ListUrl(session: Pax8Session, listing: Pax8Listing, page: number, size: number): string {
  const query = new URLSearchParams({
    page: String(Math.max(0, Math.floor(page))),
    size: String(Math.min(PAX8_MAX_PAGE_SIZE, Math.max(1, Math.floor(size)))),
  });
  const root = pax8Endpoints(session.config).apiRoot;
  if (listing.kind === 'contacts') {
    return `${root}/companies/${encodeURIComponent(listing.companyId)}/contacts?${query.toString()}`;
  }
  if (listing.status !== undefined) query.set('status', listing.status);
  return `${root}/companies?${query.toString()}`;
}

/** One page, through the connector's vendor HTTP port (token cache, budget, rate gate, destinations). */
export async function listPax8Page(
  session: Pax8Session,
  listing: Pax8Listing,
  page: number,
  size: number,
): Promise<Pax8Page> {
  const operation = listing.kind === 'contacts' ? 'sync.contacts' : 'sync.companies';
  const url = pax8ListUrl(session, listing, page, size);
  const response = await pax8Call(session, (token) => ({
    operation,
    method: 'GET',
    url,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  expectOk('pax8', operation, response, readPax8Message);
  const body = response.body;
  if (!isRecord(body) || !Array.isArray(body.content)) {
    throw badResponse('pax8', operation, response, 'Pax8 answered without a page of content');
  }
  return { rows: body.content.filter(isRecord), totalPages: numberAt(body, 'page', 'totalPages') };
}
