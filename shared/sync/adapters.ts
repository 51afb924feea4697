import type { SyncAdapter } from './adapter';
import { autotaskSyncAdapter } from './autotask-adapter';
import { dattoRmmSyncAdapter } from './datto-rmm-adapter';
import { haloSyncAdapter } from './halo-adapter';
import { itglueSyncAdapter } from './itglue-adapter';
import { microsoft365SyncAdapter } from './microsoft365-adapter';
import { pax8SyncAdapter } from './pax8-adapter';

/** The vendors the sync engine can read (docs/sync.md, "Adapters"): one line per adapter. */
const ADAPTERS: readonly SyncAdapter[] = [
  haloSyncAdapter,
  autotaskSyncAdapter,
  dattoRmmSyncAdapter,
  itglueSyncAdapter,
  pax8SyncAdapter,
  microsoft365SyncAdapter,
];

export function syncAdapterFor(vendor: string): SyncAdapter | undefined {
  return ADAPTERS.find((a) => a.vendor === vendor);
}
