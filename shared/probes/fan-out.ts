import type { BusSender } from '../bus/port';
import { nowMs } from '../clock';
import type { IntegrationDeps } from '../integrations/deps';
import { everyIntegration } from '../integrations/directory';
import type { Logger } from '../observability/logger';
import { newestFirstId } from '../storage/keys';
import { PROBE_QUEUE, type ProbeMessage, probeMessageId } from './probe-message';
import { tickId } from './schedule';

export interface FanOutDeps {
  integrations: IntegrationDeps;
  bus: BusSender;
  tenantIsActive(tenantId: string): Promise<boolean>;
  log: Logger;
}

/** Sends in flight at once: enough to finish a large tick quickly, few enough to be polite to the bus. */
const SEND_CONCURRENCY = 32;

async function sendProbe(bus: BusSender, message: ProbeMessage): Promise<void> {
  await bus.send(PROBE_QUEUE, message, {
    messageId: probeMessageId(message),
    correlationId: `${message.runId}:${message.integrationId}`,
    applicationProperties: { tenantId: message.tenantId, integrationId: message.integrationId },
  });
}

/**
 * The 5-minute timer: one probe message per integration of every active tenant, so a slow vendor
 * delays only its own probes. The message id names the tick, so a timer that fires twice (two
 * instances, a restart) sends each probe once.
 */
export async function fanOutProbes(deps: FanOutDeps): Promise<{ sent: number; skippedTenants: number }> {
  const runId = tickId(nowMs());
  const active = new Map<string, Promise<boolean>>();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const skipped = new Set<string>();
  for await (const target of everyIntegration(deps.integrations)) {
    let isActive = active.get(target.tenantId);
    if (!isActive) {
      isActive = deps.tenantIsActive(target.tenantId);
      active.set(target.tenantId, isActive);
    }
    if (!(await isActive)) {
      skipped.add(target.tenantId);
      continue;
    }
    const p = sendProbe(deps.bus, { v: 1, ...target, runId, attempt: 0, trigger: 'timer' }).then(() => {
      sent++;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    if (inFlight.size >= SEND_CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  deps.log.info('probe fan-out finished', { runId, sent, skippedTenants: skipped.size });
  return { sent, skippedTenants: skipped.size };
}

/** Probe one integration now (the recheck button, or a stuck `checking`). */
export async function requestProbe(
  bus: BusSender,
  tenantId: string,
  integrationId: string,
  trigger: 'recheck' | 'stuck',
): Promise<string> {
  const runId = `${trigger}-${newestFirstId()}`;
  await sendProbe(bus, { v: 1, tenantId, integrationId, runId, attempt: 0, trigger });
  return runId;
}
