import { depsFromServices } from '../app/services';
import { BlobStore } from '../storage/blob-store';
import { type EventTables, eventTables } from './tables';

/** The blob container of payloads too large for the event row. */
export const PAYLOAD_CONTAINER = 'event-payloads';

/** What the event log runs with: its tables and the payload store, built once per Services instance. */
export interface EventDeps {
  tables: EventTables;
  payloads: BlobStore;
}

export const eventDeps: () => EventDeps = depsFromServices((svc) => ({
  tables: eventTables(svc.account),
  payloads: new BlobStore(svc.account, PAYLOAD_CONTAINER),
}));
