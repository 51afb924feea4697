import { depsFromServices } from '../app/services';
import { processBus } from '../bus/process-bus';
import { refreshEntitiesAfterSync } from '../entities/after-sync';
import { entityDeps } from '../entities/deps';
import { integrationDeps } from '../integrations/deps';
import { getIntegration, openIntegrationSession } from '../integrations/integrations';
import { logger } from '../observability/logger';
import { routingDeps } from '../routing/deps';
import type { SyncDeps } from './runs';
import { syncTables } from './tables';

const tables = depsFromServices((svc) => syncTables(svc.account));

/** The sync verbs' dependencies: its tables, the bus, and the integrations through their verbs. */
export function syncDeps(): SyncDeps {
  return {
    tables: tables(),
    bus: processBus(),
    integration: (caller, id) => getIntegration(integrationDeps(), caller, id),
    openSession: (tenantId, integrationId, correlationId) =>
      openIntegrationSession(integrationDeps(), tenantId, integrationId, correlationId),
    log: logger.child({ capability: 'sync' }),
    routing: routingDeps(),
    afterRun: async (run) => {
      await refreshEntitiesAfterSync(entityDeps(), run);
    },
  };
}
