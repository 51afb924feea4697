import { expectOk, isRecord, numberAt, stringAt } from '../core/errors';
import { readHaloMessage } from './api';
import { type HaloSession, haloBearerCall } from './auth';
import { haloBaseUrl } from './config';

/**
 * What Halo really holds of webhooks (docs/reconcile.md): `GET /api/Webhook` ("List of Webhook" in
 * Halo's OpenAPI description). Halo declares no response schema, so the list is read defensively:
 * a bare array or `{webhooks: [...]}`.
 */
export interface ListedHaloWebhook {
  id: string;
  name: string;
  url: string;
  active: boolean;
}

export async function listHaloWebhooks(session: HaloSession): Promise<ListedHaloWebhook[]> {
  const { response } = await haloBearerCall(session, (token) => ({
    operation: 'webhook.list',
    method: 'GET',
    url: `${haloBaseUrl(session.config)}/api/Webhook`,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  expectOk('halopsa', 'webhook.list', response, readHaloMessage);
  const body = response.body;
  const rows = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.webhooks) ? body.webhooks : [];
  const items: ListedHaloWebhook[] = [];
  for (const row of rows) {
    const id = stringAt(row, 'id') ?? numberAt(row, 'id');
    if (id === undefined || !isRecord(row)) continue;
    items.push({
      id: String(id).toLowerCase(),
      name: stringAt(row, 'name') ?? '',
      url: stringAt(row, 'url') ?? '',
      // Halo leaves `active` null on webhooks saved without it; they fire, so null reads as active.
      active: row.active !== false,
    });
  }
  return items;
}
