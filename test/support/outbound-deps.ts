import type { Counters } from '../../shared/analytics/counters';
import { auditTable } from '../../shared/audit/audit-log';
import type { Settings } from '../../shared/config/settings';
import { createCredentialCipher } from '../../shared/crypto/credential-cipher';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { networkPolicyFromSettings } from '../../shared/net/guard';
import type { OutboundDeps } from '../../shared/outbound/deps';
import {
  outboundTables,
  releaseIndexSchema,
  retentionRowSchema,
  startMarkerSchema,
} from '../../shared/outbound/tables';
import type { StorageAccount } from '../../shared/storage/connection';
import { TableRepository } from '../../shared/storage/table-repository';

/**
 * Outbound deps on the suite's Azurite for one test file: the two cross-tenant tables (start
 * markers, retention days) get names of their own (`suffix`), so the sweeps and retention runs of
 * one file see only its own rows; a fresh credential key; loopback allowed (development policy).
 * `overrides` replaces what a file tests differently (a throttle, a longer disable streak).
 */
export function isolatedOutboundDeps(
  account: StorageAccount,
  suffix: string,
  counters: Counters,
  overrides: Partial<OutboundDeps> = {},
): OutboundDeps {
  const key = generateFernetKey();
  return {
    tables: {
      ...outboundTables(account),
      starts: new TableRepository(account, `deliverystarts${suffix}`, startMarkerSchema),
      days: new TableRepository(account, `deliverydays${suffix}`, retentionRowSchema),
      releases: new TableRepository(account, `outboundreleases${suffix}`, releaseIndexSchema),
    },
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
