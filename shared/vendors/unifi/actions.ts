import { VendorError, type VendorSession } from '../contract';
import { expectOk } from '../core/errors';
import { readUnifiMessage, unifiRestartRequest } from './api';
import type { UnifiConfig, UnifiCredentials } from './config';

/** UniFi device actions for tool calls: only a console's Network integration API can restart a device. */

export async function restartDevice(
  session: VendorSession<UnifiCredentials, UnifiConfig>,
  input: { siteId: string; deviceId: string },
): Promise<{ deviceId: string; restarted: true }> {
  const config = session.config;
  if (config.mode !== 'network') {
    // A configuration signal, like a 404: the Site Manager API has no device actions.
    throw new VendorError({
      vendor: 'unifi',
      operation: 'device.restart',
      kind: 'not_found',
      vendorMessage:
        'Restarting a device needs the console’s Network integration API: set the integration’s mode to "network" with its consoleUrl.',
    });
  }
  const response = await session.http.request(
    unifiRestartRequest(session.credentials, config, input.siteId, input.deviceId),
  );
  expectOk('unifi', 'device.restart', response, readUnifiMessage);
  return { deviceId: input.deviceId, restarted: true };
}
