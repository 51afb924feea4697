import { services } from '../app/services';
import type { IntegrationDeps } from './manage';
import { integrationTables } from './tables';

let built: IntegrationDeps | undefined;

/** The integrations capability's tables and the audit log, built once per process on first use. */
export function integrationDeps(): IntegrationDeps {
  if (!built) {
    const svc = services();
    built = { tables: integrationTables(svc.account), audit: svc.audit };
  }
  return built;
}
