import { afterEach, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { setLogSink } from '../../shared/observability/logger';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { VendorError } from '../../shared/vendors/contract';
import { rateSubject, StorageRateGate } from '../../shared/vendors/core/rate-gate';
import { createVendorHttp } from '../../shared/vendors/core/vendor-http';
import { LOOPBACK_POLICY, vendorErrorOf } from '../fakes/core/session';
import { ItGlueFake } from '../fakes/itglue';
import { uniqueName } from '../support/host-process';
import { connection } from '../support/local-settings';

const account = () => storageAccountFromConnectionString(connection());
let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe('vendor rate gate', () => {
  it('lets an account spend its budget, refuses the next call without sending it, and resets with the window', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
    restore = installClock(clock);
    // Two instances of the gate share one budget through storage.
    const budget = () => ({ requests: 3, windowSeconds: 60 });
    const a = new StorageRateGate(account(), budget);
    const b = new StorageRateGate(account(), budget);
    const key = uniqueName('acct');
    await a.acquire('datto-rmm', key, 'probe');
    await b.acquire('datto-rmm', key, 'probe');
    await a.acquire('datto-rmm', key, 'probe');
    const refused = await vendorErrorOf(b.acquire('datto-rmm', key, 'probe'));
    expect(refused).toMatchObject({ vendor: 'datto-rmm', kind: 'rate_limited', retryable: true, retryAfterMs: 60_000 });
    // Another account of the same vendor is unaffected.
    await a.acquire('datto-rmm', uniqueName('acct'), 'probe');
    clock.advance(60_000);
    await b.acquire('datto-rmm', key, 'probe');
  });

  it('a refused call never reaches the vendor', async () => {
    const fake = new ItGlueFake();
    await fake.start();
    try {
      const url = `${fake.baseUrl}/organizations`;
      // The same client with a gate that lets the call through reaches the fake: the count can move.
      const open = { acquire: async () => {} };
      const allowed = createVendorHttp({ vendor: 'itglue', policy: LOOPBACK_POLICY, rateGate: open, accountKey: 'k' });
      await allowed.request({ operation: 'probe', method: 'GET', url }).catch(() => undefined);
      expect(fake.requests).toHaveLength(1);

      const spent = {
        acquire: async () =>
          Promise.reject(
            new VendorError({ vendor: 'itglue', operation: 'probe', kind: 'rate_limited', vendorMessage: 'spent' }),
          ),
      };
      const http = createVendorHttp({ vendor: 'itglue', policy: LOOPBACK_POLICY, rateGate: spent, accountKey: 'k' });
      const error = await vendorErrorOf(http.request({ operation: 'probe', method: 'GET', url }));
      expect(error.kind).toBe('rate_limited');
      // The fake saw nothing more: the gate refused before any byte was sent.
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.stop();
    }
  });

  it('keeps account names out of storage keys', () => {
    const subject = rateSubject('autotask', 'autotask:api-user@example.com');
    expect(subject).toMatch(/^vendor-autotask-[0-9a-f]{32}$/);
  });

  it('fails open when storage is unreachable', async () => {
    const unreachable = storageAccountFromConnectionString(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1',
    );
    const gate = new StorageRateGate(unreachable, () => ({ requests: 1, windowSeconds: 60 }));
    const lines: string[] = [];
    const restoreSink = setLogSink((line) => lines.push(line));
    try {
      await gate.acquire('itglue', 'k', 'probe');
    } finally {
      restoreSink();
    }
    expect(lines.some((l) => l.includes('request allowed') && l.includes('vendor-itglue-'))).toBe(true);
  });
});
