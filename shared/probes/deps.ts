import { processCounters } from '../analytics/deps';
import { depsFromServices } from '../app/services';
import { processBus } from '../bus/process-bus';
import { registrationNoticesOf } from '../inbound/deps';
import { integrationDeps } from '../integrations/deps';
import { logger } from '../observability/logger';
import { tenantIsActive } from '../tenants/deps';
import type { FanOutDeps } from './fan-out';
import type { ProbeDeps } from './run-probe';
import type { StatusDeps } from './status';
import { probeTables } from './tables';
import { processTimeoutBreaker } from './timeout-breaker';

/** The probe tables, built once per Services instance (the others are the capabilities' own deps). */
const tables = depsFromServices((svc) => probeTables(svc.account));

export function probeDeps(): ProbeDeps {
  return {
    health: tables(),
    integrations: integrationDeps(),
    counters: processCounters(),
    bus: processBus(),
    tenantIsActive,
    log: logger,
    breaker: processTimeoutBreaker,
  };
}

export function statusDeps(): StatusDeps {
  return {
    health: tables(),
    integrations: integrationDeps(),
    bus: processBus(),
    // Loaded on use: the status page should not load reconcile's vendor code at import.
    reconcileRuns: (tenantId) => import('../reconcile/deps').then((m) => m.reconcileStatuses(tenantId)),
    registrationNotices: registrationNoticesOf,
  };
}

export function fanOutDeps(): FanOutDeps {
  return { integrations: integrationDeps(), bus: processBus(), tenantIsActive, log: logger };
}
