import type { Principal } from '../apikeys/principal';
import type { Logger } from '../observability/logger';
import type { VendorSession } from '../vendors/contract';
import type { EntityTables } from './tables';

/** Company events entity sync publishes (registered in shared/outbound/event-types.ts). */
export type CompanyEvent =
  | { type: 'company.created'; data: { companyId: string; name: string } }
  | { type: 'company.updated'; data: { companyId: string; name: string; changedFields: string[] } }
  | { type: 'company.deleted'; data: { companyId: string; name: string } };

/** Contact events, likewise; `companyId` is the canonical company ('' when none is linked). */
export type ContactEvent =
  | { type: 'contact.created'; data: { contactId: string; name: string; companyId: string } }
  | { type: 'contact.updated'; data: { contactId: string; name: string; companyId: string; changedFields: string[] } }
  | { type: 'contact.deleted'; data: { contactId: string; name: string; companyId: string } };

export type EntityEvent = CompanyEvent | ContactEvent;

export interface EntityDeps {
  tables: EntityTables;
  /** The tenant's integrations (id and vendor), through the integrations' verbs. */
  integrations(caller: Principal): Promise<{ id: string; vendor: string }[]>;
  openSession(
    tenantId: string,
    integrationId: string,
    correlationId: string,
  ): Promise<{ session: VendorSession<unknown, unknown> }>;
  /** The outbound publish; `key` makes a repeated publication a no-op. */
  publish(tenantId: string, event: EntityEvent & { source: string; key: string }): Promise<unknown>;
  log: Logger;
}
