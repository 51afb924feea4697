import type { TableClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';

/**
 * Tables and containers are created on first use, once per process per client: the promise is
 * cached so concurrent first calls share one round trip, and dropped on failure so the next call
 * retries. `TableClient.createTable` already swallows 409 TableAlreadyExists (Azure, Azurite, Cosmos).
 */
const tables = new WeakMap<TableClient, Promise<void>>();

export function ensureTable(client: TableClient): Promise<void> {
  let ready = tables.get(client);
  if (!ready) {
    ready = client.createTable().then(
      () => undefined,
      (error: unknown) => {
        tables.delete(client);
        throw error;
      },
    );
    tables.set(client, ready);
  }
  return ready;
}

/** Forget that a table exists (after a TableNotFound, e.g. someone deleted it) so it is re-created. */
export function forgetTable(client: TableClient): void {
  tables.delete(client);
}

const containers = new WeakMap<BlobServiceClient, Map<string, Promise<void>>>();

export function ensureContainer(service: BlobServiceClient, name: string): Promise<void> {
  let byName = containers.get(service);
  if (!byName) {
    byName = new Map();
    containers.set(service, byName);
  }
  let ready = byName.get(name);
  if (!ready) {
    const cache = byName;
    ready = service
      .getContainerClient(name)
      .createIfNotExists()
      .then(
        () => undefined,
        (error: unknown) => {
          cache.delete(name);
          throw error;
        },
      );
    byName.set(name, ready);
  }
  return ready;
}

export function forgetContainer(service: BlobServiceClient, name: string): void {
  containers.get(service)?.delete(name);
}
