import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * The inbound capability's own tables (docs/pipeline.md, "Tables"): webhook registrations and
 * their renewals. The events they receive live in the event log (shared/events/tables.ts).
 */

/**
 * `webhooks`: PartitionKey = webhook id, RowKey = `webhook`. Keyed by id alone because the receive
 * path knows nothing else (`POST /api/hooks/{webhookId}`): one point read. Secrets are Fernet tokens
 * (shared/crypto), never plaintext; the previous one verifies until `previousSecretExpiresAt`.
 */
export const webhookRecordSchema = z.object({
  tenantId: z.string(),
  integrationId: z.string().nullable(),
  /** Vendor id, or `generic`: decides how deliveries are verified and normalised. */
  source: z.string(),
  name: z.string(),
  status: z.enum(['active', 'disabled']),
  encryptedSecret: z.string(),
  previousEncryptedSecret: z.string().optional(),
  previousSecretExpiresAt: z.string().optional(),
  secretRotatedAt: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  /** JSON: what we created at the vendor for this registration (ids), so it can be removed again. */
  vendorRegistration: z.string().optional(),
  /** JSON: the ingest filters (shared/inbound/ingest-filter.ts); absent = none. */
  filters: z.string().optional(),
  /** Paused: deliveries are verified and stored `held`, processed on resume (held-events.ts). */
  paused: z.boolean().optional(),
  pausedAt: z.string().optional(),
});
export type WebhookRecord = z.infer<typeof webhookRecordSchema>;

/** `tenantwebhooks`: PartitionKey = tenant id, RowKey = webhook id — the per-tenant list. */
export const tenantWebhookSchema = z.object({ createdAt: z.string() });
export type TenantWebhook = z.infer<typeof tenantWebhookSchema>;

/**
 * `webhookrenewals`: pushed registrations that expire at the vendor (Graph subscriptions), by due
 * time. PartitionKey = vendor (`microsoft365`), RowKey = `<expiry time key>|<webhook id>`, so the
 * renewal timer reads only the rows due soon. Replaced (insert new, delete old) on every renewal.
 */
export const renewalRowSchema = z.object({ tenantId: z.string(), webhookId: z.string() });
export type RenewalRow = z.infer<typeof renewalRowSchema>;

export interface InboundTables {
  renewals: TableRepository<RenewalRow>;
  webhooks: TableRepository<WebhookRecord>;
  tenantWebhooks: TableRepository<TenantWebhook>;
}

let cached: { account: StorageAccount; tables: InboundTables } | undefined;

export function inboundTables(account: StorageAccount): InboundTables {
  if (cached?.account === account) return cached.tables;
  const tables: InboundTables = {
    renewals: new TableRepository(account, 'webhookrenewals', renewalRowSchema),
    webhooks: new TableRepository(account, 'webhooks', webhookRecordSchema),
    tenantWebhooks: new TableRepository(account, 'tenantwebhooks', tenantWebhookSchema),
  };
  cached = { account, tables };
  return tables;
}
