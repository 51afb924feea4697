import { describe, expect, it } from 'vitest';
import { BlobStore } from '../../shared/storage/blob-store';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';

const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const container = () => `payloads-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;

describe('BlobStore (Azurite)', () => {
  it('puts, gets and deletes, creating the container on first use', async () => {
    const store = new BlobStore(account, container());
    const body = JSON.stringify({ hello: 'world', big: 'x'.repeat(40_000) });
    const put = await store.put('tenant1/20260131/evt1.json', body, 'application/json');
    expect(put).toMatchObject({ name: 'tenant1/20260131/evt1.json', size: Buffer.byteLength(body) });
    expect(put.etag).toMatch(/\S/);
    expect((await store.get('tenant1/20260131/evt1.json'))?.toString('utf8')).toBe(body);
    const props = await account
      .blobService()
      .getContainerClient(store.containerName)
      .getBlobClient('tenant1/20260131/evt1.json')
      .getProperties();
    expect(props.contentType).toBe('application/json');
    expect(await store.delete('tenant1/20260131/evt1.json')).toBe(true);
    expect(await store.delete('tenant1/20260131/evt1.json')).toBe(false);
    expect(await store.get('tenant1/20260131/evt1.json')).toBeUndefined();
  });

  it('stores binary data byte for byte, overwrites, and lists by prefix', async () => {
    const store = new BlobStore(account, container());
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await store.put('t/a.bin', bytes, 'application/octet-stream');
    await store.put('t/b.bin', 'first', 'text/plain');
    await store.put('t/b.bin', 'second', 'text/plain');
    await store.put('u/c.bin', 'other tenant', 'text/plain');
    expect((await store.get('t/a.bin'))?.equals(bytes)).toBe(true);
    expect((await store.get('t/b.bin'))?.toString()).toBe('second');
    const names: string[] = [];
    for await (const name of store.listNames('t/')) names.push(name);
    expect(names.sort()).toEqual(['t/a.bin', 't/b.bin']);
  });

  it('get of a blob in a container that was never written is undefined', async () => {
    expect(await new BlobStore(account, container()).get('missing')).toBeUndefined();
  });
});
