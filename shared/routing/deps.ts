import { depsFromServices } from '../app/services';
import type { RoutingDeps } from './config';
import { routingTables } from './tables';

/** The routing tables and the audit log, built once per Services instance. */
export const routingDeps: () => RoutingDeps = depsFromServices((svc) => ({
  tables: routingTables(svc.account),
  audit: svc.audit,
}));
