import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../shared/config/settings';
import { storageAccountFromConnectionString, storageAccountFromSettings } from '../../shared/storage/connection';

describe('storage connection', () => {
  it('uses account URLs with managed identity when no connection string is configured', () => {
    const settings = parseSettings({
      DataStorage__tableServiceUri: 'https://stdata.table.core.windows.net',
      DataStorage__blobServiceUri: 'https://stdata.blob.core.windows.net',
      DataStorage__clientId: '00000000-0000-0000-0000-000000000001',
      ServiceBusConnection__fullyQualifiedNamespace: 'sb-x.servicebus.windows.net',
      // Production settings also need the cursor signing key (a Key Vault reference in Azure).
      CURSOR_SIGNING_KEY: 'a-production-cursor-signing-key-of-enough-length-000',
    });
    const account = storageAccountFromSettings(settings);
    expect(account.table('apikeys').url).toBe('https://stdata.table.core.windows.net');
    expect(account.table('apikeys').tableName).toBe('apikeys');
    expect(account.blobService().url).toBe('https://stdata.blob.core.windows.net/');
    expect(account.describe).not.toMatch(/AccountKey|SharedAccessSignature/);
  });

  it('expands UseDevelopmentStorage=true to the Azurite endpoints and reuses clients', () => {
    const account = storageAccountFromConnectionString('UseDevelopmentStorage=true');
    expect(account.table('x').url).toBe('http://127.0.0.1:10002/devstoreaccount1');
    expect(account.table('x')).toBe(account.table('x'));
  });
});
