import type { InboundTables } from './tables';
import { readStoredRegistration } from './vendor-registration';

const WEBHOOK_ROW = 'webhook';

/**
 * What a vendor reported about a registration the hub pushed, shown on the integration's status
 * (docs/integrations.md "Pushed webhooks on the status page"): the probe can be green while the
 * vendor has stopped sending, so the status page says so next to it.
 * - `deactivated`: Autotask turned the TicketWebhook off (its deactivation callout); push again
 *   after deleting the registration;
 * - `removed`: Graph removed the subscription; the renewal timer is re-creating it;
 * - `missed`: Graph could not deliver some change notifications (`count` so far, last at `at`).
 */
export interface RegistrationNotice {
  webhookId: string;
  vendor: string;
  problem: 'deactivated' | 'removed' | 'missed';
  at: string;
  count?: number;
}

/** Per integration id, the notices of the tenant's pushed webhooks (one read per webhook). */
export async function registrationNotices(
  tables: Pick<InboundTables, 'tenantWebhooks' | 'webhooks'>,
  tenantId: string,
): Promise<Map<string, RegistrationNotice[]>> {
  const out = new Map<string, RegistrationNotice[]>();
  for await (const entry of tables.tenantWebhooks.iterate(tenantId)) {
    const row = await tables.webhooks.get(entry.rowKey, WEBHOOK_ROW);
    if (!row || row.value.tenantId !== tenantId || !row.value.integrationId) continue;
    const registration = readStoredRegistration(row.value);
    if (!registration) continue;
    const base = { webhookId: entry.rowKey, vendor: registration.vendor };
    const notices: RegistrationNotice[] = [];
    if (registration.deactivatedAt) notices.push({ ...base, problem: 'deactivated', at: registration.deactivatedAt });
    if (registration.removedAt) notices.push({ ...base, problem: 'removed', at: registration.removedAt });
    if (registration.missed) {
      notices.push({ ...base, problem: 'missed', at: registration.missed.lastAt, count: registration.missed.count });
    }
    if (notices.length > 0) out.set(row.value.integrationId, [...(out.get(row.value.integrationId) ?? []), ...notices]);
  }
  return out;
}
