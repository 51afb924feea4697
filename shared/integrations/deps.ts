import { depsFromServices } from '../app/services';
import type { AuditEntry } from '../audit/audit-log';
import type { Settings } from '../config/settings';
import type { StorageAccount } from '../storage/connection';
import type { TableRepository } from '../storage/table-repository';
import { type IntegrationTables, integrationTables } from './tables';

/** What the integration verbs take: their tables and the audit log. */
export interface IntegrationDeps {
  tables: IntegrationTables;
  audit: TableRepository<AuditEntry>;
  /** The hub's public base URL, for the OAuth redirect URI shown on an integration. */
  publicBaseUrl?: string | undefined;
}

/** The integrations capability's tables and the audit log, built once per Services instance. */
export const integrationDeps: () => IntegrationDeps = depsFromServices((svc) => ({
  tables: integrationTables(svc.account),
  audit: svc.audit,
  publicBaseUrl: svc.settings.PUBLIC_BASE_URL,
}));

/** What opening a vendor session reads: the network policy's settings and the budgets' storage. */
export interface SessionDeps {
  settings: Settings;
  account: StorageAccount;
}

export const sessionDeps: () => SessionDeps = depsFromServices((svc) => ({
  settings: svc.settings,
  account: svc.account,
}));
