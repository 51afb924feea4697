import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { StorageAccount } from './connection';
import { restStatus } from './errors';
import { ensureContainer, forgetContainer } from './provision';

/** Container names: 3-63 chars, lowercase letters, digits and single hyphens, no leading/trailing hyphen. */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

export interface PutResult {
  name: string;
  etag: string;
  size: number;
}

/**
 * Payload blobs (bodies over 32 KiB, docs/design.md §3.1): one container, created on first use. Names should
 * carry the tenant as the first path segment (`<tenant>/<yyyymmdd>/<id>.json`) so retention and
 * tenant deletion can walk a prefix. Blobs never hold secrets (docs/design.md §10.2).
 */
export class BlobStore {
  private client: { service: BlobServiceClient; container: ContainerClient } | undefined;

  constructor(
    private readonly account: StorageAccount,
    readonly containerName: string,
  ) {
    if (!CONTAINER_NAME.test(containerName)) throw new Error(`invalid blob container name "${containerName}"`);
  }

  /**
   * The clients are built on first use, not with the store: building them loads the blob SDK
   * (about 50 ms), which a process that only meets small payloads never needs — every webhook
   * receive and stage message builds the event log's store (docs/benchmarks.md, "Cold requests").
   */
  private get service(): BlobServiceClient {
    return this.clients().service;
  }

  private get container(): ContainerClient {
    return this.clients().container;
  }

  private clients(): { service: BlobServiceClient; container: ContainerClient } {
    if (!this.client) {
      const service = this.account.blobService();
      this.client = { service, container: service.getContainerClient(this.containerName) };
    }
    return this.client;
  }

  async put(name: string, data: Buffer | string, contentType: string): Promise<PutResult> {
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const res = await this.call(() =>
      this.container
        .getBlockBlobClient(checkName(name))
        .uploadData(body, { blobHTTPHeaders: { blobContentType: contentType } }),
    );
    return { name, etag: res.etag ?? '', size: body.length };
  }

  /** The blob's bytes, or undefined when it does not exist. */
  async get(name: string): Promise<Buffer | undefined> {
    try {
      return await this.call(() => this.container.getBlobClient(checkName(name)).downloadToBuffer());
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw error;
    }
  }

  /** true when deleted, false when it was not there. */
  async delete(name: string): Promise<boolean> {
    const res = await this.call(() => this.container.getBlobClient(checkName(name)).deleteIfExists());
    return res.succeeded;
  }

  /** Names under a prefix (for retention purges and tenant deletion). */
  async *listNames(prefix = ''): AsyncGenerator<string> {
    await ensureContainer(this.service, this.containerName);
    for await (const blob of this.container.listBlobsFlat({ prefix })) yield blob.name;
  }

  /** Create the container on first use; if it was deleted meanwhile (ContainerNotFound), re-create once. */
  private async call<R>(op: () => Promise<R>): Promise<R> {
    await ensureContainer(this.service, this.containerName);
    try {
      return await op();
    } catch (error) {
      if (restStatus(error).code !== 'ContainerNotFound') throw error;
      forgetContainer(this.service, this.containerName);
      await ensureContainer(this.service, this.containerName);
      return op();
    }
  }
}

function checkName(name: string): string {
  if (!name || name.length > 1024 || name.endsWith('/') || name.includes('\\')) {
    throw new Error(`invalid blob name "${name}"`);
  }
  return name;
}
