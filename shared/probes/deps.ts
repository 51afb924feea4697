import { processCounters } from '../analytics/process-counters';
import { services } from '../app/services';
import { processBus } from '../bus/process-bus';
import { integrationDeps } from '../integrations/deps';
import { logger } from '../observability/logger';
import { tenantIsActive } from '../tenants/active';
import type { FanOutDeps } from './fan-out';
import type { ProbeDeps } from './run-probe';
import type { StatusDeps } from './status';
import { type ProbeTables, probeTables } from './tables';
import { processTimeoutBreaker } from './timeout-breaker';

let tables: ProbeTables | undefined;

function health(): ProbeTables {
  tables ??= probeTables(services().account);
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
  return { health: health(), integrations: integrationDeps(), bus: processBus() };
}

export function fanOutDeps(): FanOutDeps {
  return { integrations: integrationDeps(), bus: processBus(), tenantIsActive, log: logger };
}
