import { services } from '../app/services';
import { processBus } from '../bus/process-bus';
import type { ApprovalDeps } from './approvals';
import { approvalTables } from './tables';

let built: { account: unknown; deps: ApprovalDeps } | undefined;

export function approvalDeps(): ApprovalDeps {
  const svc = services();
  if (built?.account !== svc.account) {
    built = { account: svc.account, deps: { tables: approvalTables(svc.account), audit: svc.audit, bus: processBus } };
  }
  return built.deps;
}
