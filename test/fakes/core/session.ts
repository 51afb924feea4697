import { randomUUID } from 'node:crypto';
import type { NetworkPolicy } from '../../../shared/net/guard';
import { type Connector, VendorError, type VendorId, type VendorSession } from '../../../shared/vendors/contract';
import { createVendorHttp } from '../../../shared/vendors/core/vendor-http';

/** Local development's policy: http and loopback allowed, so connectors can reach the fakes. */
export const LOOPBACK_POLICY: NetworkPolicy = {
  allowHttp: true,
  allowLoopback: true,
  allowPrivate: false,
  allowedPrivateHosts: [],
};

/**
 * A connector session aimed at a fake, the way the integrations code builds one: credentials and
 * config parsed with the connector's own schemas, HTTP through the real vendor port and guard.
 * Each call gets a fresh integration id unless given, so cached tokens never leak between tests.
 */
export function fakeSession<C, K>(
  vendor: VendorId,
  connector: Connector<C, K>,
  credentials: unknown,
  config: unknown,
  options: { timeoutMs?: number; integrationId?: string } = {},
): VendorSession<C, K> {
  return {
    tenantId: 'tenant-fake',
    integrationId: options.integrationId ?? `int-${randomUUID()}`,
    credentials: connector.credentialsSchema.parse(credentials),
    config: connector.configSchema.parse(config),
    http: createVendorHttp({
      vendor,
      policy: LOOPBACK_POLICY,
      timeoutMs: options.timeoutMs ?? 5000,
      ...(connector.concurrency ? { concurrency: connector.concurrency } : {}),
    }),
    correlationId: `corr-${randomUUID()}`,
  };
}

/** The rejection of a promise (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

/** Runs `call`, expects a VendorError and returns it for closer checks. */
export async function vendorErrorOf(call: Promise<unknown>): Promise<VendorError> {
  const error = await rejectionOf(call);
  if (!(error instanceof VendorError)) throw new Error(`expected a VendorError, got ${String(error)}`);
  return error;
}
