import type { Counters } from '../analytics/counters';
import { processCounters } from '../analytics/deps';
import { credentialCipher } from '../app/process-cipher';
import { depsFromServices } from '../app/services';
import type { AuditEntry } from '../audit/audit-log';
import type { CredentialCipher } from '../crypto/credential-cipher';
import { type DnsLookup, type NetworkPolicy, networkPolicyFromSettings } from '../net/guard';
import type { TableRepository } from '../storage/table-repository';
import { EndpointTallies } from './endpoint-tallies';
import { type OutboundTables, outboundTables } from './tables';
import { SlotReservations, type SlotReserver } from './throttle';

/** Everything the outbound verbs need, injected so tests build it on their own Azurite and policy. */
export interface OutboundDeps {
  tables: OutboundTables;
  audit: TableRepository<AuditEntry>;
  /** Opens and seals signing secrets (the credential key ring). */
  cipher: CredentialCipher;
  /** The network guard's policy for subscription URLs (docs/design.md §10.5). */
  policy: NetworkPolicy;
  /** DNS resolver for the guard; tests inject one, production uses the system resolver. */
  dnsLookup?: DnsLookup;
  /** Analytics counters: one increment per attempt; the success rate is read back from them. */
  counters: Pick<Counters, 'increment' | 'totals'>;
  /** Whether the tenant may act (an operator-disabled tenant's deliveries stop). */
  tenantIsActive(tenantId: string): Promise<boolean>;
  /** A subscription with no successful attempt for this long while failing is disabled. */
  disableAfterFailingMs: number;
  /** Per attempt: connect, headers and body (docs/design.md §8.4: 10 s). */
  attemptTimeoutMs: number;
  /**
   * Counter increments and endpoint health summed in memory and written in batches
   * (endpoint-tallies.ts). Without it each attempt writes them before it returns.
   */
  tallies?: EndpointTallies;
  /** Send slots of rate-limited subscriptions, shared by every instance (throttle.ts); none = no limit applies. */
  throttle?: SlotReserver;
}

export const ATTEMPT_TIMEOUT_MS = 10_000;

/** The process' outbound dependencies, built from the settings once per Services instance. */
export const outboundDeps: () => OutboundDeps = depsFromServices((svc) => ({
  tables: outboundTables(svc.account),
  audit: svc.audit,
  cipher: credentialCipher(),
  policy: networkPolicyFromSettings(svc.settings),
  counters: processCounters(),
  tenantIsActive: (tenantId) => svc.tenants.isActive(tenantId),
  disableAfterFailingMs: svc.settings.OUTBOUND_DISABLE_AFTER_FAILING_HOURS * 3_600_000,
  attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
  tallies: new EndpointTallies(),
  // One row per subscription; a burst's reservations in this process share one write.
  throttle: new SlotReservations(svc.account),
}));
