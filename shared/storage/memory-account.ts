import type { TableClient } from '../sdk/data-tables';
import type { BlobServiceClient } from '../sdk/storage-blob';
import type { QueueServiceClient } from '../sdk/storage-queue';
import type { StorageAccount } from './connection';
import { MemoryBlobServiceClient } from './memory-blob-service';
import { MemoryTableClient, MemoryTableData } from './memory-table-client';

/**
 * A storage account in process memory: tables and blobs, no queues (the in-memory bus,
 * shared/bus/memory-bus.ts, stands in for the emulated queues). Everything built on a
 * StorageAccount — TableRepository, BlobStore, each capability's tables — runs on it unchanged, so
 * unit tests install it as `services().account` and exercise the real code without Azurite
 * (docs/testing.md). Never used by the hub itself.
 */
export function memoryStorageAccount(): StorageAccount {
  const tables = new Map<string, MemoryTableData>();
  const clients = new Map<string, MemoryTableClient>();
  const blobs = new MemoryBlobServiceClient();
  return {
    describe: 'in-memory storage',
    table(name) {
      let client = clients.get(name);
      if (!client) {
        let data = tables.get(name);
        if (!data) {
          data = new MemoryTableData();
          tables.set(name, data);
        }
        client = new MemoryTableClient(name, data);
        clients.set(name, client);
      }
      // The SDK's classes are nominal (private members); the memory clients implement the methods
      // the hub calls, with the same shapes, and the contract suite runs both (docs/testing.md).
      return client as unknown as TableClient;
    },
    blobService() {
      return blobs as unknown as BlobServiceClient;
    },
    queueService(): QueueServiceClient {
      throw new Error('the in-memory storage account has no queues: use MemoryBus (shared/bus/memory-bus.ts)');
    },
  };
}
