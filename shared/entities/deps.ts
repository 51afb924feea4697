import { depsFromServices } from '../app/services';
import { integrationDeps } from '../integrations/deps';
import { listIntegrations, openIntegrationSession } from '../integrations/integrations';
import { logger } from '../observability/logger';
import { publishEvent } from '../outbound/index';
import type { EntityDeps } from './entity-deps';
import { entityTables } from './tables';

const tables = depsFromServices((svc) => entityTables(svc.account));

/** Entity sync's dependencies: its tables, the integrations and the outbound publish through their verbs. */
export function entityDeps(): EntityDeps {
  return {
    tables: tables(),
    async integrations(caller) {
      const out: { id: string; vendor: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await listIntegrations(integrationDeps(), caller, { limit: 100, cursor });
        out.push(...page.items.map((i) => ({ id: i.id, vendor: i.vendor })));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return out;
    },
    openSession: (tenantId, integrationId, correlationId) =>
      openIntegrationSession(integrationDeps(), tenantId, integrationId, correlationId),
    publish: (tenantId, event) => publishEvent(tenantId, event),
    log: logger.child({ capability: 'entities' }),
  };
}
