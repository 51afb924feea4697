import type { ReceivedMessage, Settlement } from '../bus/port';
import { integrationDeps } from '../integrations/deps';
import { everyIntegration, findIntegration } from '../integrations/directory';
import { tenantIsActive } from '../tenants/deps';
import { syncDeps } from './deps';
import { handleDeadLetteredPage, handleSyncPage } from './engine';
import { runScheduledSyncs } from './schedule';

/**
 * What functions/sync-queue.ts and functions/sync-timer.ts run, imported on the first invocation
 * (docs/decisions.md §38).
 */
export function syncPage(message: ReceivedMessage): Promise<Settlement> {
  return handleSyncPage(syncDeps(), message);
}

export async function syncTimer(): Promise<void> {
  await runScheduledSyncs({ ...syncDeps(), everyIntegration: syncTargets, tenantIsActive });
}

async function* syncTargets(): AsyncGenerator<{ tenantId: string; integrationId: string; vendor: string }> {
  for await (const { tenantId, integrationId } of everyIntegration(integrationDeps())) {
    const found = await findIntegration(integrationDeps(), tenantId, integrationId);
    if (found) yield { tenantId, integrationId, vendor: found.vendor };
  }
}

export function syncPageDeadLetter(message: ReceivedMessage): Promise<Settlement> {
  return handleDeadLetteredPage(syncDeps(), message);
}
