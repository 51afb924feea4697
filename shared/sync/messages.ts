import { z } from 'zod';
import type { BusSender } from '../bus/port';

/**
 * One page of a run is one message on `sync-page` (docs/sync.md, "A run is a chain of messages"):
 * the run and the page number. The id `run:page` makes a re-send of the same page a duplicate the
 * bus drops, so the handler may always re-send the page it is responsible for.
 */
export const SYNC_PAGE_QUEUE = 'sync-page';

export const syncPageMessageSchema = z.strictObject({
  v: z.literal(1),
  tenantId: z.string().min(1),
  runId: z.string().min(1),
  page: z.number().int().nonnegative(),
  /** How many times this page waited out a vendor's rate limit. */
  retry: z.number().int().nonnegative(),
});
export type SyncPageMessage = z.infer<typeof syncPageMessageSchema>;

export async function sendPage(
  bus: BusSender,
  message: Omit<SyncPageMessage, 'v'>,
  correlationId: string,
  notBefore?: Date,
): Promise<void> {
  const body: SyncPageMessage = { v: 1, ...message };
  await bus.send(SYNC_PAGE_QUEUE, body, {
    messageId: `${message.runId}:${message.page}${message.retry > 0 ? `:r${message.retry}` : ''}`,
    correlationId,
    applicationProperties: { tenantId: message.tenantId, runId: message.runId },
    ...(notBefore ? { scheduledEnqueueTimeUtc: notBefore } : {}),
  });
}
