import { afterAll, afterEach } from 'vitest';
import type { Counters } from '../../shared/analytics/counters';
import { auditTable } from '../../shared/audit/audit-log';
import type { BusSender, SendOptions } from '../../shared/bus/port';
import { type Clock, installClock } from '../../shared/clock';
import type { Settings } from '../../shared/config/settings';
import { createCredentialCipher } from '../../shared/crypto/credential-cipher';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { networkPolicyFromSettings } from '../../shared/net/guard';
import { closeGuardedAgents } from '../../shared/net/guarded-fetch';
import type { OutboundDeps } from '../../shared/outbound/deps';
import type { OrchestrationClient } from '../../shared/outbound/starter';
import {
  outboundTables,
  releaseIndexSchema,
  retentionRowSchema,
  startMarkerSchema,
} from '../../shared/outbound/tables';
import type { StorageAccount } from '../../shared/storage/connection';
import { TableRepository } from '../../shared/storage/table-repository';
import type { Receiver } from './webhook-receiver';

/**
 * Outbound deps on the suite's Azurite: a fresh credential key, loopback allowed (development
 * policy), a five-day disable streak and a 10 s attempt timeout. `overrides` replaces what a file
 * tests differently (a throttle, a longer disable streak, batched tallies).
 */
export function outboundDeps(
  account: StorageAccount,
  counters: Counters,
  overrides: Partial<OutboundDeps> = {},
): OutboundDeps {
  const key = generateFernetKey();
  return {
    tables: overrides.tables ?? outboundTables(account),
    audit: auditTable(account),
    cipher: createCredentialCipher(async () => key),
    policy: networkPolicyFromSettings({ HUB_ENVIRONMENT: 'development' } as Settings),
    counters,
    tenantIsActive: async () => true,
    disableAfterFailingMs: 5 * 24 * 3_600_000,
    attemptTimeoutMs: 10_000,
    ...overrides,
  };
}

/**
 * outboundDeps for one test file whose sweeps or retention runs walk the cross-tenant tables
 * (start markers, retention days, running releases): those get names of their own (`suffix`), so
 * the file sees only its own rows.
 */
export function isolatedOutboundDeps(
  account: StorageAccount,
  suffix: string,
  counters: Counters,
  overrides: Partial<OutboundDeps> = {},
): OutboundDeps {
  return outboundDeps(account, counters, {
    tables: {
      ...outboundTables(account),
      starts: new TableRepository(account, `deliverystarts${suffix}`, startMarkerSchema),
      days: new TableRepository(account, `deliverydays${suffix}`, retentionRowSchema),
      releases: new TableRepository(account, `outboundreleases${suffix}`, releaseIndexSchema),
    },
    ...overrides,
  });
}

/**
 * A bus that records what it was handed, in order. `dead` makes it refuse every send, as a killed
 * process sends nothing more (crash-point tests set it from their crash handler).
 */
export function recordingOutboundBus(): BusSender & {
  sent: { queue: string; body: unknown; options: SendOptions }[];
  dead: boolean;
} {
  const bus = {
    sent: [] as { queue: string; body: unknown; options: SendOptions }[],
    dead: false,
    send: async (queue: string, body: unknown, options: SendOptions) => {
      if (bus.dead) throw new Error('the process is gone');
      bus.sent.push({ queue, body, options });
    },
  };
  return bus;
}

/** The Durable client's start surface over an in-memory instance table (404 unknown, 409 duplicate). */
export function inMemoryInstances(): OrchestrationClient & { started: string[]; statusReads: number } {
  const client = {
    started: [] as string[],
    statusReads: 0,
    getStatus: async (id: string) => {
      client.statusReads++;
      if (!client.started.includes(id)) throw new Error(`404 Not Found: ${id}`);
      return { runtimeStatus: 'Running' };
    },
    startNew: async (_name: string, options: { instanceId: string }) => {
      if (client.started.includes(options.instanceId)) throw new Error('409 Conflict: already exists');
      client.started.push(options.instanceId);
      return options.instanceId;
    },
  };
  return client;
}

/** The most arrivals in any half-open one-second window [t, t + 1 s) (t at each arrival: enough). */
export function busiestSecond(arrivals: number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/**
 * What an outbound test file starts and must put back, registered once for the file: the
 * receivers it pushes to `receivers` are closed after the file (with the guarded agents), and a
 * clock a test installs through `useClock` is put back after that test.
 */
export function outboundFileHooks(): { receivers: Receiver[]; useClock(clock: Clock): void } {
  const receivers: Receiver[] = [];
  let restoreClock: (() => void) | undefined;
  afterEach(() => {
    restoreClock?.();
    restoreClock = undefined;
  });
  afterAll(async () => {
    await closeGuardedAgents();
    for (const r of receivers) await r.close();
  });
  return {
    receivers,
    useClock(clock) {
      restoreClock = installClock(clock);
    },
  };
}
