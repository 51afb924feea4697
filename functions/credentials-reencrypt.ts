import { app } from '@azure/functions';
import { z } from 'zod';
import { services } from '../shared/app/services';
import { recordAudit } from '../shared/audit/audit-log';
import { apiRoute } from '../shared/http/api-route';
import { integrationDeps } from '../shared/integrations/deps';
import { reencryptIntegrationCredentials } from '../shared/integrations/reencrypt';

const resultSchema = z
  .object({
    scanned: z.number().int(),
    rewritten: z.number().int(),
    unreadable: z.array(z.string()).meta({
      description: 'tenant/integration ids no key of the ring opens: keep the old key until this is empty.',
    }),
  })
  .meta({ id: 'ReencryptResult' });

/**
 * Step 3 of docs/runbooks/credential-key-rotation.md without data-plane access from a laptop: the
 * operator asks the app to rewrite every integration's credentials under the primary key. Safe to
 * call again (rows already under the primary are skipped); `npm run reencrypt-credentials` does the
 * same from a shell.
 */
app.http(
  'credentials-reencrypt',
  apiRoute({
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
);
