import type * as Sdk from '@azure/identity';
import { lazyClass, loadOnce } from './load-on-first-use';

/** @azure/identity (~35–80 ms to load, MSAL included), loaded when the managed identity is first needed. */
const sdk = loadOnce((): typeof Sdk => require('@azure/identity'));

export type DefaultAzureCredential = Sdk.DefaultAzureCredential;
export const DefaultAzureCredential = lazyClass(() => sdk().DefaultAzureCredential);
export type { TokenCredential } from '@azure/identity';
