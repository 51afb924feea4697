import type * as Sdk from '@asteasolutions/zod-to-openapi';
import { lazyClass, loadOnce } from './load-on-first-use';

/**
 * @asteasolutions/zod-to-openapi, loaded when /api/v1/openapi.json is first generated rather than
 * at every cold start. It has no runtime imports of its own (zod metadata lives in zod's global
 * registry), so loading it late or from a bundle sees the same schemas.
 */
const sdk = loadOnce((): typeof Sdk => require('@asteasolutions/zod-to-openapi'));

export type OpenAPIRegistry = Sdk.OpenAPIRegistry;
export const OpenAPIRegistry = lazyClass(() => sdk().OpenAPIRegistry);
export type OpenApiGeneratorV31 = Sdk.OpenApiGeneratorV31;
export const OpenApiGeneratorV31 = lazyClass(() => sdk().OpenApiGeneratorV31);
export type { RouteConfig } from '@asteasolutions/zod-to-openapi';
