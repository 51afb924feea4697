import { randomUUID } from 'node:crypto';
import type { Principal } from '../../shared/apikeys/principal';
import { services } from '../../shared/app/services';
import type { BusSender, SendOptions } from '../../shared/bus/port';
import { isDomainError } from '../../shared/errors/domain-error';
import { type ReceiveDeps, type ReceiveResult, receiveWebhook } from '../../shared/inbound/receive';
import { inboundTables } from '../../shared/inbound/tables';
import type { WebhookDeps } from '../../shared/inbound/webhooks';
import { createLogger } from '../../shared/observability/logger';

export interface Sent {
  queue: string;
  body: unknown;
  options: SendOptions;
}

/**
 * The receive function in-process against the suite's Azurite, for a fresh tenant whose
 * integrations all report `vendor`; the bus only records what would be sent. A domain error comes
 * back as `{ status: 0, code }` so a test can assert on the rejection code.
 */
export function receiveHarness(vendor: string) {
  const sent: Sent[] = [];
  const bus: BusSender = {
    send: async (queue, body, options) => {
      sent.push({ queue, body, options });
    },
  };
  const tenantId = `tn-${randomUUID().slice(0, 8)}`;
  const caller: Principal = { tenantId, keyId: 'key1', scopes: ['admin'] };
  const webhookDeps: WebhookDeps = {
    tables: inboundTables(services().account),
    audit: services().audit,
    publicBaseUrl: 'https://hub.example.com',
    integrationVendor: async () => vendor,
  };
  const deps: ReceiveDeps = {
    webhooks: inboundTables(services().account).webhooks,
    bus: () => bus,
    tenantIsActive: async () => true,
    integrationIsLive: async () => true,
    maxBodyBytes: 1024 * 1024,
    toleranceSeconds: 300,
  };
  const post = async (
    webhookId: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
    query = '',
  ): Promise<ReceiveResult | { status: number; code: string }> => {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      return await receiveWebhook(deps, {
        webhookId,
        headers: new Headers(headers),
        query: new URLSearchParams(query),
        body: buf,
        declaredLength: buf.length,
        correlationId: 'corr',
        log: createLogger(),
      });
    } catch (error) {
      if (isDomainError(error)) return { status: 0, code: error.code };
      throw error;
    }
  };
  return { sent, caller, webhookDeps, deps, post, tenantId };
}
