import { depsFromServices } from '../app/services';
import type { IntegrationDeps } from './integrations';
import { integrationTables } from './tables';

/** The integrations capability's tables and the audit log, built once per Services instance. */
export const integrationDeps: () => IntegrationDeps = depsFromServices((svc) => ({
  tables: integrationTables(svc.account),
  audit: svc.audit,
}));
