import { VENDOR_IDS, type VendorId } from '../../../shared/vendors/contract';
import { autotaskFake } from '../autotask';
import { dattoEdrFake } from '../datto-edr';
import { dattoRmmFake } from '../datto-rmm';
import { halopsaFake } from '../halopsa';
import { itglueFake } from '../itglue';
import { microsoft365Fake } from '../microsoft365';
import { pax8Fake } from '../pax8';
import { unifiFake } from '../unifi';
import type { FakeVendorServer } from './fake-server';

/**
 * One fake per vendor, for tests and for `npm start` beside the local host (the README tour).
 * A vendor fake module exports a FakeVendor: how to build its server, the one set of credentials
 * it accepts, and the integration config that points a connector at it.
 */
export interface FakeVendor {
  create(): FakeVendorServer;
  /** The documented good credentials; anything else is refused with the vendor's error shape. */
  credentials: Record<string, string>;
  /** Integration config that aims the vendor's connector at a running fake. */
  config(baseUrl: string): Record<string, unknown>;
}

export const FAKES: Record<VendorId, FakeVendor> = {
  autotask: autotaskFake,
  halopsa: halopsaFake,
  'datto-rmm': dattoRmmFake,
  'datto-edr': dattoEdrFake,
  itglue: itglueFake,
  pax8: pax8Fake,
  unifi: unifiFake,
  microsoft365: microsoft365Fake,
};

export const FAKE_CREDENTIALS: Record<VendorId, Record<string, string>> = Object.fromEntries(
  VENDOR_IDS.map((id) => [id, FAKES[id].credentials]),
) as Record<VendorId, Record<string, string>>;

export function fakeConfig(vendor: VendorId, baseUrl: string): Record<string, unknown> {
  return FAKES[vendor].config(baseUrl);
}

export interface RunningFakes {
  baseUrls: Record<VendorId, string>;
  servers: Record<VendorId, FakeVendorServer>;
  stop(): Promise<void>;
}

export interface StartFakesOptions {
  host?: string;
  /** Fixed ports basePort, basePort+1, ... in VENDOR_IDS order (for a stable README tour); default random. */
  basePort?: number;
}

export async function startAllFakes(options: StartFakesOptions = {}): Promise<RunningFakes> {
  const servers = Object.fromEntries(VENDOR_IDS.map((id) => [id, FAKES[id].create()])) as Record<
    VendorId,
    FakeVendorServer
  >;
  const baseUrls = {} as Record<VendorId, string>;
  const stop = async () => {
    await Promise.all(VENDOR_IDS.map((id) => servers[id].stop()));
  };
  try {
    for (const [i, id] of VENDOR_IDS.entries()) {
      const port = options.basePort === undefined ? 0 : options.basePort + i;
      baseUrls[id] = await servers[id].start(port, options.host);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrls, servers, stop };
}
