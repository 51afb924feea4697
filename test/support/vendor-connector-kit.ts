import { expect } from 'vitest';
import { VendorError, type VendorErrorKind } from '../../shared/vendors/contract';
import type { FakeVendorServer } from '../fakes/core/fake-server';

/**
 * Shared checks for connector tests against a fake vendor over real loopback HTTP (sessions come
 * from test/fakes/core/session.ts).
 */

/** Awaits a rejection and checks it is a VendorError of the kind; returns it for more checks. */
export async function expectVendorError(promise: Promise<unknown>, kind: VendorErrorKind): Promise<VendorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VendorError);
  const vendorError = error as VendorError;
  expect(vendorError.kind).toBe(kind);
  return vendorError;
}

/** The one request of a kind the fake saw (fails the test when there is not exactly one). */
export function onlyRequest(server: FakeVendorServer, method: string, path: string | RegExp) {
  const seen = server.received(method, path);
  expect(seen).toHaveLength(1);
  return seen[0] as NonNullable<(typeof seen)[number]>;
}

export interface ProbeFaultTarget {
  server: () => FakeVendorServer;
  /** Runs the connector's probe with good credentials (a fresh integration id each time). */
  probe: (options?: { timeoutMs?: number }) => Promise<unknown>;
  /** The probe endpoint's path on the fake: faults are injected there and its requests counted. */
  probePath: string;
  probeMethod?: string;
}

/**
 * The failure behaviour every connector shares (docs/design.md §9): each vendor status maps to its kind
 * with the vendor's message verbatim, Retry-After is read, and the probe is sent exactly once
 * (connectors never retry; the caller does). Call inside a describe block.
 */
export function probeFaultCases(it: (name: string, fn: () => Promise<void>) => void, target: ProbeFaultTarget): void {
  const method = target.probeMethod ?? 'GET';
  const cases: { status: number; kind: VendorErrorKind; retryable: boolean; text: string }[] = [
    { status: 401, kind: 'auth', retryable: false, text: 'Unauthorized' },
    { status: 403, kind: 'forbidden', retryable: false, text: 'Forbidden' },
    { status: 404, kind: 'not_found', retryable: false, text: 'Not Found' },
    { status: 500, kind: 'unavailable', retryable: true, text: 'Internal Server Error' },
    { status: 502, kind: 'unavailable', retryable: true, text: 'Bad Gateway' },
    { status: 503, kind: 'unavailable', retryable: true, text: 'Service Unavailable' },
  ];
  for (const c of cases) {
    it(`HTTP ${c.status} from the probe is kind ${c.kind} with the vendor's message, sent once`, async () => {
      const server = target.server();
      server.injectFault({ kind: 'status', status: c.status }, { path: target.probePath });
      const error = await expectVendorError(target.probe(), c.kind);
      expect(error.httpStatus).toBe(c.status);
      expect(error.vendorMessage).toBe(c.text);
      expect(error.retryable).toBe(c.retryable);
      expect(server.count(method, target.probePath)).toBe(1);
    });
  }

  it('HTTP 429 is kind rate_limited with Retry-After in milliseconds', async () => {
    const server = target.server();
    server.injectFault({ kind: 'status', status: 429, headers: { 'Retry-After': '17' } }, { path: target.probePath });
    const error = await expectVendorError(target.probe(), 'rate_limited');
    expect(error.retryAfterMs).toBe(17_000);
    expect(error.retryable).toBe(true);
    expect(error.vendorMessage).toBe('Too Many Requests');
    expect(server.count(method, target.probePath)).toBe(1);
  });

  it('a vendor that never answers is kind timeout', async () => {
    const server = target.server();
    server.injectFault({ kind: 'timeout' }, { path: target.probePath });
    const error = await expectVendorError(target.probe({ timeoutMs: 300 }), 'timeout');
    expect(error.retryable).toBe(true);
    expect(server.count(method, target.probePath)).toBe(1);
  });

  it('a body slower than the timeout is kind timeout', async () => {
    const server = target.server();
    server.injectFault({ kind: 'slow-body', delayMs: 5_000 }, { path: target.probePath });
    await expectVendorError(target.probe({ timeoutMs: 300 }), 'timeout');
  });

  it('a reset connection is kind network', async () => {
    const server = target.server();
    server.injectFault({ kind: 'reset' }, { path: target.probePath });
    const error = await expectVendorError(target.probe(), 'network');
    expect(error.retryable).toBe(true);
  });
}
