import { processCounters } from '../analytics/process-counters';
import { services } from '../app/services';
import { processBus } from '../bus/process-bus';
import { registrationNoticesOf } from '../inbound/deps';
import { integrationDeps } from '../integrations/deps';
import { logger } from '../observability/logger';
import { tenantIsActive } from '../tenants/active';
import type { FanOutDeps } from './fan-out';
import type { ProbeDeps } from './run-probe';
import type { StatusDeps } from './status';
import { type HealthTables, healthTables } from './tables';
import { processTimeoutBreaker } from './timeout-breaker';

let tables: HealthTables | undefined;

function health(): HealthTables {
  tables ??= healthTables(services().account);
  return tables;
}

export function probeDeps(): ProbeDeps {
  return {
    health: health(),
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
    health: health(),
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
