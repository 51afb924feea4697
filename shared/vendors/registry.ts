import { connector as autotask } from './autotask';
import { type Connector, VENDOR_IDS, type VendorCatalogEntry, type VendorId } from './contract';
import { connector as dattoEdr } from './datto-edr';
import { connector as dattoRmm } from './datto-rmm';
import { connector as halopsa } from './halopsa';
import { connector as itglue } from './itglue';
import { connector as microsoft365 } from './microsoft365';
import { connector as pax8 } from './pax8';
import { connector as unifi } from './unifi';

/**
 * Every vendor the hub speaks to, by docs/design.md §8 id. Each vendor folder exports `connector` from its index.ts; the compiler refuses a missing vendor.
 */
export const connectors: Record<VendorId, Connector> = {
  autotask: autotask,
  halopsa: halopsa,
  'datto-rmm': dattoRmm,
  'datto-edr': dattoEdr,
  itglue: itglue,
  pax8: pax8,
  unifi: unifi,
  microsoft365: microsoft365,
};

export function connectorFor(vendor: VendorId): Connector {
  return connectors[vendor];
}

/** `GET /api/v1/vendors` items, in the order of VENDOR_IDS. */
export function catalog(): VendorCatalogEntry[] {
  return VENDOR_IDS.map((id) => connectors[id].catalog);
}
