import { isRecord, numberAt, pathValue, stringAt } from '../core/errors';
import { type AutotaskSession, autotaskRequest } from './index';

/**
 * What Autotask really holds of ticket webhooks (docs/reconcile.md): `POST V1.0/TicketWebhooks/query`
 * with a filter matching every row, as Autotask's query endpoints take it. One page of up to
 * MAX_RECORDS; a database with more says so through `truncated` rather than being read forever.
 */
export interface ListedTicketWebhook {
  id: string;
  name: string;
  webhookUrl: string;
  isActive: boolean;
}

/** Autotask's ceiling for one query page. */
const MAX_RECORDS = 500;

export async function listAutotaskTicketWebhooks(
  session: AutotaskSession,
): Promise<{ items: ListedTicketWebhook[]; truncated: boolean }> {
  const { response } = await autotaskRequest(session, {
    operation: 'webhook.list',
    method: 'POST',
    path: 'TicketWebhooks/query',
    json: { filter: [{ op: 'gt', field: 'id', value: 0 }], MaxRecords: MAX_RECORDS },
  });
  const rows = pathValue(response.body, 'items');
  const items: ListedTicketWebhook[] = [];
  for (const row of Array.isArray(rows) ? rows : []) {
    const id = numberAt(row, 'id') ?? stringAt(row, 'id');
    if (id === undefined || !isRecord(row)) continue;
    items.push({
      id: String(id),
      name: stringAt(row, 'name') ?? '',
      webhookUrl: stringAt(row, 'webhookUrl') ?? '',
      isActive: row.isActive === true,
    });
  }
  const next = stringAt(response.body, 'pageDetails', 'nextPageUrl');
  return { items, truncated: next !== undefined && next !== '' };
}
