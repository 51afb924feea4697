import { randomBytes } from 'node:crypto';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { auditTable } from '../../shared/audit/audit-log';
import type { BusSender, ReceivedMessage } from '../../shared/bus/port';
import type { IntegrationDeps } from '../../shared/integrations/deps';
import {
  defaultPointerSchema,
  type IntegrationTables,
  indexEntrySchema,
  integrationRecordSchema,
} from '../../shared/integrations/tables';
import type { Logger } from '../../shared/observability/logger';
import { PROBE_QUEUE, type ProbeMessage, probeMessageId } from '../../shared/probes/probe-message';
import type { ProbeDeps } from '../../shared/probes/run-probe';
import type { StatusDeps } from '../../shared/probes/status';
import { type ProbeTables, probeHistorySchema, probeStatusSchema } from '../../shared/probes/tables';
import { TimeoutBreaker } from '../../shared/probes/timeout-breaker';
import { type StorageAccount, storageAccountFromConnectionString } from '../../shared/storage/connection';
import { newestFirstId } from '../../shared/storage/keys';
import { TableRepository } from '../../shared/storage/table-repository';
import { uniqueName } from './host-process';
import { connection, installLocalSettings } from './local-settings';

/**
 * The integrations and health capabilities wired in-process against the suite's Azurite, for tests
 * that drive probes and lifecycle steps directly (a ManualClock instead of waiting, crash handlers
 * instead of killed processes).
 *
 * The tables get per-file names: the probe index and the fan-out span every tenant, and hosts that
 * other test files start on the same Azurite run the 5-minute probe timer, so sharing the real
 * tables would let their ticks probe (and rewrite the status of) this file's integrations.
 */
export { connection, installLocalSettings };

export interface Harness {
  account: StorageAccount;
  /** Table names of this harness (for raw reads with @azure/data-tables). */
  names: { integrations: string; defaults: string; index: string; status: string; history: string };
  integrations: IntegrationDeps;
  health: ProbeTables;
  counters: Counters;
}

export function harness(): Harness {
  const account = storageAccountFromConnectionString(connection());
  const tag = randomBytes(4).toString('hex');
  const names = {
    integrations: `integrations${tag}`,
    defaults: `integrationdefaults${tag}`,
    index: `integrationindex${tag}`,
    status: `probestatus${tag}`,
    history: `probes${tag}`,
  };
  const tables: IntegrationTables = {
    integrations: new TableRepository(account, names.integrations, integrationRecordSchema),
    defaults: new TableRepository(account, names.defaults, defaultPointerSchema),
    index: new TableRepository(account, names.index, indexEntrySchema),
  };
  return {
    account,
    names,
    integrations: { tables, audit: auditTable(account) },
    health: {
      status: new TableRepository(account, names.status, probeStatusSchema),
      history: new TableRepository(account, names.history, probeHistorySchema),
    },
    counters: new Counters(counterTables(account)),
  };
}

export function adminOf(tenantId: string = uniqueName('tenant-')): Principal {
  return { tenantId, keyId: 'test-key', scopes: ['admin'] };
}

/** A bus that only records what was sent (fan-out and recheck tests read it). */
export class RecordingBus implements BusSender {
  readonly sent: { queue: string; body: unknown; messageId: string; at?: Date | undefined }[] = [];
  async send(queue: string, body: unknown, options: { messageId: string; scheduledEnqueueTimeUtc?: Date }) {
    this.sent.push({ queue, body, messageId: options.messageId, at: options.scheduledEnqueueTimeUtc });
  }
  probes(tenantId?: string): ProbeMessage[] {
    return this.sent
      .filter((s) => s.queue === PROBE_QUEUE)
      .map((s) => s.body as ProbeMessage)
      .filter((m) => tenantId === undefined || m.tenantId === tenantId);
  }
}

/** Log lines a probe writes, kept in memory. */
export function memoryLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const wrap = (fields: Record<string, unknown>): Logger => ({
    debug: (m, f) => lines.push(JSON.stringify({ level: 'debug', m, ...fields, ...f })),
    info: (m, f) => lines.push(JSON.stringify({ level: 'info', m, ...fields, ...f })),
    warn: (m, f) => lines.push(JSON.stringify({ level: 'warn', m, ...fields, ...f })),
    error: (m, f) => lines.push(JSON.stringify({ level: 'error', m, ...fields, ...f })),
    child: (more) => wrap({ ...fields, ...more }),
  });
  return { log: wrap({}), lines };
}

export function probeDepsFor(
  h: Harness,
  bus: BusSender,
  options: { tenantIsActive?: (tenantId: string) => Promise<boolean>; log?: Logger; breaker?: TimeoutBreaker } = {},
): ProbeDeps {
  return {
    health: h.health,
    integrations: h.integrations,
    counters: h.counters,
    bus,
    tenantIsActive: options.tenantIsActive ?? (async () => true),
    log: options.log ?? memoryLog().log,
    breaker: options.breaker ?? new TimeoutBreaker(),
  };
}

export function statusDepsFor(h: Harness, bus: BusSender): StatusDeps {
  return { health: h.health, integrations: h.integrations, bus };
}

/** A probe message as the recheck button sends it, delivered once. */
export function recheckDelivery(tenantId: string, integrationId: string, runId = `recheck-${newestFirstId()}`) {
  const body: ProbeMessage = { v: 1, tenantId, integrationId, runId, attempt: 0, trigger: 'recheck' };
  return delivery(body);
}

export function delivery(body: ProbeMessage): ReceivedMessage {
  return {
    body,
    messageId: probeMessageId(body),
    deliveryCount: 1,
    enqueuedTimeUtc: new Date(),
    correlationId: `${body.runId}:${body.integrationId}`,
    applicationProperties: { tenantId: body.tenantId, integrationId: body.integrationId },
  };
}
