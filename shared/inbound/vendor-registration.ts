import { z } from 'zod';
import type { WebhookRecord } from './tables';

/**
 * What a push created at the vendor for a webhook (shared/inbound/vendor-push.ts), kept as JSON on
 * the webhook row. Apart from the push module so reading a webhook never loads vendor code.
 */
export const PUSHABLE_VENDORS = ['autotask', 'halopsa', 'microsoft365'] as const;
export type PushableVendor = (typeof PUSHABLE_VENDORS)[number];

export const vendorRegistrationSchema = z.object({
  vendor: z.enum(PUSHABLE_VENDORS),
  /** The vendor's id of what we created: TicketWebhook id, Halo webhook id, Graph subscription id. */
  vendorId: z.string(),
  /** Autotask: the TicketWebhookField rows we added. */
  fieldIds: z.array(z.string()).optional(),
  /** Graph: what the subscription watches and for which changes. */
  resource: z.string().optional(),
  changeType: z.string().optional(),
  /** Graph: when the subscription lapses unless renewed. */
  expiresAt: z.string().optional(),
  pushedAt: z.string(),
  renewedAt: z.string().optional(),
  /**
   * Autotask: the SHA-256 (hex) of the random token in the deactivation URL we gave Autotask.
   * Autotask's deactivation callout is unsigned, so the unguessable URL is what authenticates it.
   */
  deactivationTokenSha256: z.string().optional(),
  /** Set when the vendor reported that it turned the registration off (Autotask's callout). */
  deactivatedAt: z.string().optional(),
  /** Graph: when a `subscriptionRemoved` lifecycle notification arrived (the renewal timer re-creates it). */
  removedAt: z.string().optional(),
  /** Graph: a lifecycle notification asked for work (renew or re-create) the renewal timer has not done yet. */
  actionDueAt: z.string().optional(),
  /** Graph: `missed` lifecycle notifications — Graph could not deliver some change notifications. */
  missed: z.object({ count: z.number().int().min(1), lastAt: z.string() }).optional(),
});
export type VendorRegistration = z.infer<typeof vendorRegistrationSchema>;

/** The registration as stored, the deactivation token's hash included (for the push module). */
export function readStoredRegistration(record: WebhookRecord): VendorRegistration | undefined {
  if (!record.vendorRegistration) return undefined;
  return vendorRegistrationSchema.parse(JSON.parse(record.vendorRegistration));
}

/**
 * The registration as shown: with `active` (false once the vendor deactivated or removed it), no
 * token hash.
 */
export function readRegistration(
  record: WebhookRecord,
): (Omit<VendorRegistration, 'deactivationTokenSha256'> & { active: boolean }) | undefined {
  const stored = readStoredRegistration(record);
  if (!stored) return undefined;
  const { deactivationTokenSha256: _hidden, ...shown } = stored;
  return { ...shown, active: stored.deactivatedAt === undefined && stored.removedAt === undefined };
}
