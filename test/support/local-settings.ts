import { resetCredentialCipher } from '../../shared/app/process-cipher';
import { setServices } from '../../shared/app/services';
import { resetSettingsCache } from '../../shared/config/settings';
import { generateFernetKey } from '../../shared/crypto/fernet';

/** The suite's Azurite, as test/support/global-setup.ts started it. */
export const connection = (): string => {
  const value = process.env.TEST_STORAGE_CONNECTION;
  if (!value)
    throw new Error(
      'TEST_STORAGE_CONNECTION is not set: Azurite comes with the integration and e2e tiers (docs/testing.md), not with unit',
    );
  return value;
};

/**
 * Settings for in-process services against the suite's Azurite: local development (loopback fakes
 * allowed), the emulated bus, a fresh key ring; the cached settings, services and cipher are reset
 * so the next use reads them.
 */
export function installLocalSettings(keyRing: string = generateFernetKey()): string {
  process.env.DataStorage = connection();
  process.env.BUS_MODE = 'storage-queues';
  process.env.HUB_ENVIRONMENT = 'development';
  process.env.CREDENTIAL_ENCRYPTION_KEY = keyRing;
  delete process.env.CREDENTIAL_KEY_SECRET_NAME;
  delete process.env.RETRY_AFTER_MAX_SECONDS;
  resetSettingsCache();
  setServices(undefined);
  resetCredentialCipher();
  return keyRing;
}
