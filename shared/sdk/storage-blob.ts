import type * as Sdk from '@azure/storage-blob';
import { lazyClass, loadOnce } from './load-on-first-use';

/** @azure/storage-blob (~50 ms to load), loaded when the first blob client is built. */
const sdk = loadOnce((): typeof Sdk => require('@azure/storage-blob'));

export type BlobServiceClient = Sdk.BlobServiceClient;
export const BlobServiceClient = lazyClass(() => sdk().BlobServiceClient);
export type { ContainerClient } from '@azure/storage-blob';
