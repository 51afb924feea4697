import { depsFromServices } from '../app/services';
import { processBus } from '../bus/process-bus';
import type { ReplayDeps } from './replay';

/** The storage account (events, replays), the audit log and the bus, built once per Services instance. */
export const replayDeps: () => ReplayDeps = depsFromServices((svc) => ({
  account: svc.account,
  audit: svc.audit,
  bus: processBus,
}));
