import type * as Sdk from 'undici';
import { lazyClass, lazyFunction, loadOnce } from './load-on-first-use';

/** undici (~60 ms to load here), loaded when the first guarded outbound call is made (shared/net/). */
const sdk = loadOnce((): typeof Sdk => require('undici'));

export type Agent = Sdk.Agent;
export const Agent = lazyClass(() => sdk().Agent);
export const buildConnector = lazyFunction(() => sdk().buildConnector);
export const request = lazyFunction(() => sdk().request);
export type { buildConnector as BuildConnector } from 'undici';
