import { depsFromServices } from '../app/services';
import type { AuditEntry } from '../audit/audit-log';
import { integrationDeps } from '../integrations/deps';
import type { TableRepository } from '../storage/table-repository';
import type { OAuthStates } from './states';
import { oauthTables } from './tables';

/** What the authorisation verbs take: the state table, the integrations' deps and the audit log. */
export interface OAuthDeps {
  states: OAuthStates;
  integrations: ReturnType<typeof integrationDeps>;
  audit: TableRepository<AuditEntry>;
  publicBaseUrl: string | undefined;
}

export const oauthDeps: () => OAuthDeps = depsFromServices((svc) => ({
  states: oauthTables(svc.account).states,
  integrations: integrationDeps(),
  audit: svc.audit,
  publicBaseUrl: svc.settings.PUBLIC_BASE_URL,
}));
