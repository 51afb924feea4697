import { z } from 'zod';
import { services } from '../app/services';
import { recordAudit } from '../audit/audit-log';
import { defineApiRoute } from '../http/api-route';
import { integrationDeps } from './deps';
import { reencryptIntegrationCredentials } from './reencrypt';

const resultSchema = z
  .object({
    scanned: z.number().int(),
    rewritten: z.number().int(),
    unreadable: z.array(z.string()).meta({
      description: 'tenant/integration ids no key of the ring opens: keep the old key until this is empty.',
    }),
  })
  .meta({ id: 'ReencryptResult' });

/** API routes by operationId; functions/credentials-reencrypt.ts registers each (docs/decisions.md §38). */
export const routes = {
  reencryptCredentials: defineApiRoute({
    method: 'POST',
    route: 'v1/operator/credentials/reencrypt',
    operationId: 'reencryptCredentials',
    summary: 'Re-encrypt every stored credential under the primary credential key',
    tags: ['Tenants (operator)'],
    scope: 'operator',
    responses: { 200: { description: 'What was scanned and rewritten.', schema: resultSchema } },
    handle: async ({ principal, correlationId }) => {
      const result = await reencryptIntegrationCredentials(integrationDeps());
      await recordAudit(services().audit, principal.tenantId, {
        action: 'credentials.reencrypted',
        actorKeyId: principal.keyId,
        targetType: 'credential-key',
        targetId: 'primary',
        correlationId,
        details: { scanned: result.scanned, rewritten: result.rewritten, unreadable: result.unreadable.length },
      });
      return { status: 200, body: result };
    },
  }),
};
