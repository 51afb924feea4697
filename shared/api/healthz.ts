import { z } from 'zod';
import { HUB_VERSION } from '../app/version';
import { nowMs } from '../clock';
import type { StorageAccount } from '../storage/connection';

export const healthzSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    time: z.string(),
    version: z.string(),
    checks: z.object({ storage: z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() }) }),
  })
  .meta({ id: 'Health' });
export type Healthz = z.infer<typeof healthzSchema>;

/** Cheap dependency check: one table-service read with a short timeout. */
export async function checkHealthz(account: StorageAccount, timeoutMs = 3000): Promise<Healthz> {
  const started = nowMs();
  let storage: Healthz['checks']['storage'];
  try {
    // A point read of a row that never exists: one cheap round trip that proves the account is
    // reachable and our identity is authorised (404 is the healthy answer; 403 or 5xx are not).
    await account
      .table('healthprobe')
      .getEntity('healthz', 'healthz', { abortSignal: AbortSignal.timeout(timeoutMs) })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
    storage = { ok: true, latencyMs: nowMs() - started };
  } catch (error) {
    storage = { ok: false, latencyMs: nowMs() - started, error: (error as Error).name };
  }
  return {
    status: storage.ok ? 'ok' : 'degraded',
    time: new Date(nowMs()).toISOString(),
    version: HUB_VERSION,
    checks: { storage },
  };
}
