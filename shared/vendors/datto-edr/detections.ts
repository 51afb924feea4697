import type { VendorSession } from '../contract';
import { badResponse, expectOk, isRecord } from '../core/errors';
import { joinUrl } from '../core/urls';
import { type DattoEdrConfig, type DattoEdrCredentials, dattoEdrBaseUrl, readDattoEdrMessage } from './index';

/**
 * Datto EDR reads for tool calls: alerts and incidents (docs/tools.md). The API is a LoopBack
 * application, so a list is `GET /api/<Model>?filter=<JSON>` with LoopBack's filter object
 * (`where`, `order`, `limit`, `skip`); pages are `skip` steps of `limit` and the last page is the
 * one shorter than `limit`. At most EDR_MAX_PAGES pages of EDR_PAGE_SIZE (LoopBack caps a page at
 * 1000 in Infocyte's own client). Every request here is a GET. What of this is verified and what is
 * not is in docs/vendor-fidelity.md.
 */
export const EDR_PAGE_SIZE = 100;
export const EDR_MAX_PAGES = 10;

type EdrSession = VendorSession<DattoEdrCredentials, DattoEdrConfig>;
export type EdrRecord = Record<string, unknown>;

/** A LoopBack `where` of plain equalities: the only kind the tools build. */
export type EdrWhere = Record<string, string | number | boolean>;

async function readPages(
  session: EdrSession,
  operation: string,
  model: 'Alerts' | 'Incidents',
  where: EdrWhere,
): Promise<{ items: EdrRecord[]; capped: boolean }> {
  const items: EdrRecord[] = [];
  for (let page = 0; page < EDR_MAX_PAGES; page++) {
    const filter = { where, order: 'createdOn DESC', limit: EDR_PAGE_SIZE, skip: page * EDR_PAGE_SIZE };
    const response = await session.http.request({
      operation,
      method: 'GET',
      url: joinUrl(dattoEdrBaseUrl(session.config), `/api/${model}`, { filter: JSON.stringify(filter) }),
      headers: { Authorization: session.credentials.apiToken, Accept: 'application/json' },
    });
    expectOk('datto-edr', operation, response, readDattoEdrMessage);
    if (!Array.isArray(response.body)) {
      throw badResponse('datto-edr', operation, response, `Datto EDR answered ${model} without a list`);
    }
    for (const item of response.body) if (isRecord(item)) items.push(item);
    if (response.body.length < EDR_PAGE_SIZE) return { items, capped: false };
  }
  return { items, capped: true };
}

/** `GET /api/Alerts?filter=…`: alerts not archived, newest first (optionally one host's). */
export function listAlerts(session: EdrSession, input: { hostname?: string | undefined }) {
  return readPages(session, 'alert.list', 'Alerts', {
    archived: false,
    ...(input.hostname ? { hostname: input.hostname } : {}),
  });
}

/** `GET /api/Incidents?filter=…`: incidents, newest first (optionally by status). */
export function listIncidents(session: EdrSession, input: { status?: string | undefined }) {
  return readPages(session, 'incident.list', 'Incidents', input.status ? { status: input.status } : {});
}
