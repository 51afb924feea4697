import type { Settings } from '../config/settings';
import { TableClient, type TableServiceClientOptions } from '../sdk/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '../sdk/identity';
import { BlobServiceClient } from '../sdk/storage-blob';
import { QueueServiceClient } from '../sdk/storage-queue';

/**
 * How the hub reaches its data account: a connection string (Azurite, local) or account URLs with
 * managed identity (Azure). Clients are created lazily and reused; nothing else in the code base
 * builds storage clients from settings.
 */
export interface StorageAccount {
  table(name: string): TableClient;
  blobService(): BlobServiceClient;
  queueService(): QueueServiceClient;
  /** A short, non-secret description for logs and the local banner. */
  readonly describe: string;
}

export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** Azurite's well-known development key (public, documented by Microsoft; not a secret). */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(host: string, ports: { blob: number; queue: number; table: number }): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=http://${host}:${ports.table}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

const DEV_SHORTCUT = 'UseDevelopmentStorage=true';

function expandDevShortcut(connection: string): string {
  return connection.trim() === DEV_SHORTCUT
    ? azuriteConnectionString('127.0.0.1', { blob: 10000, queue: 10001, table: 10002 })
    : connection;
}

export function storageAccountFromConnectionString(connectionString: string): StorageAccount {
  const conn = expandDevShortcut(connectionString);
  const insecure = /DefaultEndpointsProtocol=http;|Endpoint=http:\/\//.test(conn);
  const tableOptions: TableServiceClientOptions = insecure ? { allowInsecureConnection: true } : {};
  let blob: BlobServiceClient | undefined;
  let queue: QueueServiceClient | undefined;
  const tables = new Map<string, TableClient>();
  const endpoint = /TableEndpoint=([^;]+)/.exec(conn)?.[1] ?? 'storage account';
  return {
    describe: endpoint.replace(/\/[^/]*$/, ''),
    table(name) {
      let client = tables.get(name);
      if (!client) {
        client = TableClient.fromConnectionString(conn, name, tableOptions);
        tables.set(name, client);
      }
      return client;
    },
    blobService() {
      blob ??= BlobServiceClient.fromConnectionString(conn);
      return blob;
    },
    queueService() {
      queue ??= QueueServiceClient.fromConnectionString(conn);
      return queue;
    },
  };
}

export function storageAccountFromUrls(
  urls: { table: string; blob: string; queue?: string | undefined },
  credential: TokenCredential,
): StorageAccount {
  let blob: BlobServiceClient | undefined;
  let queue: QueueServiceClient | undefined;
  const tables = new Map<string, TableClient>();
  return {
    describe: urls.table,
    table(name) {
      let client = tables.get(name);
      if (!client) {
        client = new TableClient(urls.table, name, credential);
        tables.set(name, client);
      }
      return client;
    },
    blobService() {
      blob ??= new BlobServiceClient(urls.blob, credential);
      return blob;
    },
    queueService() {
      if (!urls.queue) throw new Error('DataStorage__queueServiceUri is not configured');
      queue ??= new QueueServiceClient(urls.queue, credential);
      return queue;
    },
  };
}

let credential: TokenCredential | undefined;

/** One managed-identity credential per process (user-assigned when a client id is configured). */
export function azureCredential(s: Pick<Settings, 'DataStorage__clientId'>): TokenCredential {
  credential ??= new DefaultAzureCredential(
    s.DataStorage__clientId ? { managedIdentityClientId: s.DataStorage__clientId } : {},
  );
  return credential;
}

export function storageAccountFromSettings(s: Settings): StorageAccount {
  if (s.DataStorage) return storageAccountFromConnectionString(s.DataStorage);
  if (!s.DataStorage__tableServiceUri || !s.DataStorage__blobServiceUri) {
    throw new Error('DataStorage is not configured');
  }
  return storageAccountFromUrls(
    {
      table: s.DataStorage__tableServiceUri,
      blob: s.DataStorage__blobServiceUri,
      queue: s.DataStorage__queueServiceUri,
    },
    azureCredential(s),
  );
}
