import type * as Sdk from '@azure/keyvault-secrets';
import { lazyClass, loadOnce } from './load-on-first-use';

/** @azure/keyvault-secrets (~15 ms to load), loaded when the first secret is read from Key Vault. */
const sdk = loadOnce((): typeof Sdk => require('@azure/keyvault-secrets'));

export type SecretClient = Sdk.SecretClient;
export const SecretClient = lazyClass(() => sdk().SecretClient);
