import { describe, expect, it } from 'vitest';
import { storagePorts } from '../../local/local-settings';

/** The local host reserves its storage emulator's ports so no outbound URL reaches them (decisions §42). */
describe('storage ports the local host reserves', () => {
  it('reads the emulator endpoints of a connection string, by address or as localhost', () => {
    expect(storagePorts('UseDevelopmentStorage=true')).toEqual([10000, 10001, 10002]);
    expect(
      storagePorts(
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;BlobEndpoint=http://127.0.0.1:41234/devstoreaccount1;QueueEndpoint=http://localhost:41235/devstoreaccount1;TableEndpoint=http://[::1]:41236/devstoreaccount1;',
      ),
    ).toEqual([41234, 41235, 41236]);
  });

  it('reserves nothing for a storage account reached by name, or for junk', () => {
    expect(
      storagePorts('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=b;EndpointSuffix=core.windows.net'),
    ).toEqual([]);
    expect(storagePorts('BlobEndpoint=https://a.blob.core.windows.net/;TableEndpoint=not a url')).toEqual([]);
    expect(storagePorts('')).toEqual([]);
  });
});
