import { resetCredentialCipher } from '../../shared/app/process-cipher';
import { buildServices, setServices } from '../../shared/app/services';
import { MemoryBus } from '../../shared/bus/memory-bus';
import { setProcessBus } from '../../shared/bus/process-bus';
import { resetSettingsCache, settings } from '../../shared/config/settings';
import { generateFernetKey } from '../../shared/crypto/fernet';
import type { StorageAccount } from '../../shared/storage/connection';
import { memoryStorageAccount } from '../../shared/storage/memory-account';

export interface MemoryServices {
  account: StorageAccount;
  bus: MemoryBus;
}

/**
 * The process' services on memory, for unit tests of capability code that reaches storage through
 * `services()` and the bus through `processBus()`: an in-memory storage account and bus, local
 * development settings and a fresh credential key ring. Nothing leaves the process; a DataStorage
 * connection string is set only because the settings schema wants one, and nothing connects to it
 * (docs/testing.md). Call it in `beforeAll`: capabilities cache what they build from services()
 * for the life of the test file's process.
 */
export function installMemoryServices(): MemoryServices {
  process.env.DataStorage = 'UseDevelopmentStorage=true';
  process.env.BUS_MODE = 'storage-queues';
  process.env.HUB_ENVIRONMENT = 'development';
  process.env.CREDENTIAL_ENCRYPTION_KEY = generateFernetKey();
  delete process.env.CREDENTIAL_KEY_SECRET_NAME;
  delete process.env.KEY_VAULT_URI;
  resetSettingsCache();
  resetCredentialCipher();
  const account = memoryStorageAccount();
  const bus = new MemoryBus();
  setServices(buildServices(settings(), account));
  setProcessBus(bus);
  return { account, bus };
}
