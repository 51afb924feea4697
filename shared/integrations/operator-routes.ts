import { z } from 'zod';
import { defineApiRoute, problemSchema } from '../api/api-route';
import { recordAudit } from '../audit/audit-log';
import { integrationDeps } from './deps';
import { reencryptIntegrationCredentials } from './reencrypt';
import { operatorRouteHeads as heads } from './route-heads';

const resultSchema = z
  .object({
    scanned: z.number().int(),
    rewritten: z.number().int(),
    unreadable: z.array(z.string()).meta({
      description: 'tenant/integration ids no key of the ring opens: keep the old key until this is empty.',
    }),
    nextCursor: z.string().nullable().meta({
      description:
        'Not null when this call stopped at its time budget: call again with {"cursor": nextCursor} until it is null.',
    }),
  })
  .meta({ id: 'ReencryptResult' });

const reencryptBody = z
  .strictObject({
    cursor: z.string().min(1).max(4096).optional().meta({ description: 'nextCursor of the previous call.' }),
  })
  .meta({ id: 'ReencryptRequest' });

/** API routes by operationId; functions/credentials-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  reencryptCredentials: defineApiRoute({
    ...heads.reencryptCredentials,
    summary: 'Re-encrypt every stored credential under the primary credential key',
    tags: ['Tenants (operator)'],
    description:
      'Each call scans for at most about a minute (Azure drops an HTTP response after 230 s) and answers with `nextCursor`; call again with it until it is null. Safe to repeat: rows already under the primary key are skipped.',
    body: reencryptBody,
    bodyOptional: true,
    responses: {
      200: { description: 'What this call scanned and rewrote, and where to continue.', schema: resultSchema },
      400: { description: 'The cursor is not one this operation issued.', schema: problemSchema },
    },
    handle: async ({ principal, correlationId, body }) => {
      const result = await reencryptIntegrationCredentials(integrationDeps(), { cursor: body.cursor });
      await recordAudit(integrationDeps().audit, principal.tenantId, {
        action: 'credentials.reencrypted',
        actorKeyId: principal.keyId,
        targetType: 'credential-key',
        targetId: 'primary',
        correlationId,
        details: {
          scanned: result.scanned,
          rewritten: result.rewritten,
          unreadable: result.unreadable.length,
          complete: result.nextCursor === null,
        },
      });
      return { status: 200, body: result };
    },
  }),
};
