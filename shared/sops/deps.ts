import { services } from '../app/services';
import type { SopDeps } from './manage';
import { sopTables } from './tables';

let built: { account: unknown; deps: SopDeps } | undefined;

/** The SOP tables and the audit log, built once per process (again if tests swap the services). */
export function sopDeps(): SopDeps {
  const svc = services();
  if (built?.account !== svc.account)
    built = { account: svc.account, deps: { tables: sopTables(svc.account), audit: svc.audit } };
  return built.deps;
}
