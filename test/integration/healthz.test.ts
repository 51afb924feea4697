import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkHealthz } from '../../shared/api/healthz';
import { azuriteConnectionString, storageAccountFromConnectionString } from '../../shared/storage/connection';

describe('healthz', () => {
  it('is ok when storage answers', async () => {
    const health = await checkHealthz(storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!));
    expect(health.status).toBe('ok');
    expect(health.checks.storage.ok).toBe(true);
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is degraded, naming no secret, when storage cannot be reached', async () => {
    // A port that was free a moment ago: nothing listens there now.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const connection = azuriteConnectionString('127.0.0.1', { blob: port, queue: port, table: port });
    const health = await checkHealthz(storageAccountFromConnectionString(connection), 2000);
    expect(health.status).toBe('degraded');
    expect(health.checks.storage.ok).toBe(false);
    expect(JSON.stringify(health)).not.toContain('AccountKey');
  });
});
