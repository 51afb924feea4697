import { VENDOR_IDS } from '../shared/vendors/contract';
import { startAllFakes } from '../test/fakes/core/all-fakes';
import { PortInUseError } from './azurite';

/**
 * LOCAL_FAKE_VENDORS: the eight loopback fake vendors beside `npm start`, so the README tour can
 * connect an integration, watch it go `connected`, then flip a fault and watch `needs_attention`.
 * The fakes are test code; only the local host (never the deployed app) loads them.
 */
export async function startFakeVendors(options: {
  basePort: number;
}): Promise<{ lines: string[]; stop(): Promise<void> }> {
  let fakes: Awaited<ReturnType<typeof startAllFakes>>;
  try {
    fakes = await startAllFakes({
      host: '127.0.0.1',
      ...(options.basePort > 0 ? { basePort: options.basePort } : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(options.basePort, 'fake vendors', 'LOCAL_FAKE_VENDORS_PORT');
    }
    throw error;
  }
  return {
    lines: VENDOR_IDS.map((id) => `  ${id.padEnd(14)} ${fakes.baseUrls[id]}`),
    stop: () => fakes.stop(),
  };
}
