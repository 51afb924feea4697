import { credentialCipher, type ReencryptResult, reencryptAll } from '../crypto/credential-cipher';
import { ConflictError } from '../storage/errors';
import type { IntegrationDeps } from './manage';
import { allProbeTargets } from './probe-index';

/**
 * Re-encrypts every integration's credentials under the primary key of the credential key ring
 * (docs/runbooks/credential-key-rotation.md). Walks the integration index (every tenant), skips
 * tokens already under the primary, and writes each row with its ETag, so a run can be stopped
 * and started again, two runs can overlap, and a credential an admin changes meanwhile is kept.
 */
export async function reencryptIntegrationCredentials(deps: IntegrationDeps): Promise<ReencryptResult> {
  async function* rows() {
    for await (const target of allProbeTargets(deps.tables)) {
      const stored = await deps.tables.integrations.get(target.tenantId, target.integrationId);
      if (!stored) continue;
      yield {
        id: `${target.tenantId}/${target.integrationId}`,
        token: stored.value.encryptedCredentials,
        save: async (newToken: string) => {
          try {
            await deps.tables.integrations.replace(
              target.tenantId,
              target.integrationId,
              { ...stored.value, encryptedCredentials: newToken },
              stored.etag,
            );
          } catch (error) {
            // Changed meanwhile: the new credentials were written under the current primary.
            if (!(error instanceof ConflictError)) throw error;
          }
        },
      };
    }
  }
  return reencryptAll(rows(), credentialCipher());
}
