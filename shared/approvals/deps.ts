import { depsFromServices } from '../app/services';
import { processBus } from '../bus/process-bus';
import type { ApprovalDeps } from './approvals';
import { approvalTables } from './tables';

/** The approvals table, the audit log and the bus, built once per Services instance. */
export const approvalDeps: () => ApprovalDeps = depsFromServices((svc) => ({
  tables: approvalTables(svc.account),
  audit: svc.audit,
  bus: processBus,
}));
