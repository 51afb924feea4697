/**
 * Blob storage in process memory, behind the part of BlobServiceClient that BlobStore uses
 * (containers created on first use; upload, download, delete-if-exists, flat listing by prefix).
 * Unit tests run the real BlobStore on it (docs/testing.md).
 */

/** What the SDK throws: a status and the service's error code (read by storage/errors.ts `restStatus`). */
export class MemoryBlobError extends Error {
  override readonly name = 'RestError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Blob {
  bytes: Buffer;
  etag: string;
  contentType: string | undefined;
}

let etagCounter = 0;
const nextEtag = (): string => `"0x${(++etagCounter).toString(16).toUpperCase()}"`;

class MemoryBlobClient {
  constructor(
    private readonly container: MemoryContainerClient,
    private readonly name: string,
  ) {}

  async uploadData(
    data: Buffer | Uint8Array,
    options: { blobHTTPHeaders?: { blobContentType?: string } } = {},
  ): Promise<{ etag: string }> {
    const etag = nextEtag();
    this.container.blobs().set(this.name, {
      bytes: Buffer.from(data),
      etag,
      contentType: options.blobHTTPHeaders?.blobContentType,
    });
    return { etag };
  }

  async downloadToBuffer(): Promise<Buffer> {
    const blob = this.container.blobs().get(this.name);
    if (!blob) throw new MemoryBlobError(404, 'BlobNotFound', 'The specified blob does not exist.');
    return Buffer.from(blob.bytes);
  }

  async deleteIfExists(): Promise<{ succeeded: boolean }> {
    return { succeeded: this.container.blobs().delete(this.name) };
  }
}

export class MemoryContainerClient {
  constructor(
    readonly containerName: string,
    private readonly service: MemoryBlobServiceClient,
  ) {}

  async createIfNotExists(): Promise<{ succeeded: boolean }> {
    const created = !this.service.containers.has(this.containerName);
    if (created) this.service.containers.set(this.containerName, new Map());
    return { succeeded: created };
  }

  async deleteIfExists(): Promise<{ succeeded: boolean }> {
    return { succeeded: this.service.containers.delete(this.containerName) };
  }

  getBlockBlobClient(name: string): MemoryBlobClient {
    return new MemoryBlobClient(this, name);
  }

  getBlobClient(name: string): MemoryBlobClient {
    return new MemoryBlobClient(this, name);
  }

  async *listBlobsFlat(options: { prefix?: string } = {}): AsyncGenerator<{ name: string }> {
    const names = [...this.blobs().keys()].filter((n) => n.startsWith(options.prefix ?? '')).sort();
    for (const name of names) yield { name };
  }

  blobs(): Map<string, Blob> {
    const blobs = this.service.containers.get(this.containerName);
    if (!blobs) throw new MemoryBlobError(404, 'ContainerNotFound', 'The specified container does not exist.');
    return blobs;
  }
}

export class MemoryBlobServiceClient {
  readonly containers = new Map<string, Map<string, Blob>>();

  getContainerClient(name: string): MemoryContainerClient {
    return new MemoryContainerClient(name, this);
  }
}
