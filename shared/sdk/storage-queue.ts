import type * as Sdk from '@azure/storage-queue';
import { lazyClass, loadOnce } from './load-on-first-use';

/** @azure/storage-queue (~25 ms to load), loaded when the first queue client is built. */
const sdk = loadOnce((): typeof Sdk => require('@azure/storage-queue'));

export type QueueServiceClient = Sdk.QueueServiceClient;
export const QueueServiceClient = lazyClass(() => sdk().QueueServiceClient);
export type { QueueClient } from '@azure/storage-queue';
