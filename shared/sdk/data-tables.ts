import type * as Sdk from '@azure/data-tables';
import { lazyClass, lazyFunction, loadOnce } from './load-on-first-use';

/** @azure/data-tables (~75 ms to load), loaded when the first table client is built. */
const sdk = loadOnce((): typeof Sdk => require('@azure/data-tables'));

export type TableClient = Sdk.TableClient;
export const TableClient = lazyClass(() => sdk().TableClient);
export const odata = lazyFunction(() => sdk().odata);
export type { TableEntityResult, TableServiceClientOptions, TransactionAction } from '@azure/data-tables';
