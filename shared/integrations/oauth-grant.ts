import { credentialCipher } from '../app/process-cipher';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import { ConflictError } from '../storage/errors';
import type { GrantStore, StoredGrant } from '../vendors/contract';
import { missingHaloScopes } from '../vendors/halopsa/oauth-requests';
import type { IntegrationDeps } from './deps';
import type { IntegrationRecord } from './tables';

/**
 * An integration's authorisation-code grant (Halo PSA), kept on its own row: encrypted like the
 * credentials, replaced ETag-conditionally so two refreshes never lose the rotated refresh token
 * (docs/integrations.md "Halo PSA authorisation").
 */

/** Where Halo sends the admin's browser back; registered as-is in Halo's application. */
export const OAUTH_CALLBACK_ROUTE = 'oauth/halopsa/callback';

/** The exact redirect URI to register, or undefined when PUBLIC_BASE_URL is not set. */
export function oauthRedirectUri(publicBaseUrl: string | undefined): string | undefined {
  return publicBaseUrl ? `${publicBaseUrl.replace(/\/+$/, '')}/api/${OAUTH_CALLBACK_ROUTE}` : undefined;
}

function storedConfig(record: IntegrationRecord): Record<string, unknown> {
  const value: unknown = JSON.parse(record.config);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Whether an admin authorises this integration in a browser (Halo's `grant: authorization_code`). */
export function usesAuthorisationCode(record: IntegrationRecord): boolean {
  return record.vendor === 'halopsa' && storedConfig(record).grant === 'authorization_code';
}

export interface OAuthView {
  /** The redirect URI to register in Halo; null until PUBLIC_BASE_URL is set. */
  redirectUri: string | null;
  authorised: boolean;
  authorisedAt: string | null;
  grantedScopes: string[];
  missingScopes: string[];
  hint: string | null;
}

export function oauthViewOf(record: IntegrationRecord, publicBaseUrl: string | undefined): OAuthView | undefined {
  if (!usesAuthorisationCode(record)) return undefined;
  const authorised = record.encryptedGrant !== undefined;
  const scope = record.grantScope ?? '';
  const missingScopes = authorised ? missingHaloScopes(scope) : [];
  const redirectUri = oauthRedirectUri(publicBaseUrl) ?? null;
  return {
    redirectUri,
    authorised,
    authorisedAt: record.grantedAt ?? null,
    grantedScopes: scope.split(/\s+/).filter((s) => s !== ''),
    missingScopes,
    hint: !authorised
      ? `Register ${redirectUri ?? '(set PUBLIC_BASE_URL first)'} as the redirect URI of the Halo application, then POST /api/v1/integrations/{id}/oauth/authorize and open the URL it returns.`
      : missingScopes.length > 0
        ? `Halo did not grant ${missingScopes.join(', ')}: add them to the Halo application's permissions and authorise again.`
        : null,
  };
}

/** The grant store a session of this integration reads and rotates (shared/vendors/contract.ts). */
export function grantStoreFor(deps: IntegrationDeps, tenantId: string, integrationId: string): GrantStore {
  const table = deps.tables.integrations;
  return {
    async read() {
      const row = await table.get(tenantId, integrationId);
      if (!row?.value.encryptedGrant) return undefined;
      const grant = (await credentialCipher().decryptJson(row.value.encryptedGrant)) as StoredGrant;
      return { grant, version: row.etag };
    },
    async replace(version, next) {
      const row = await table.get(tenantId, integrationId);
      if (!row || row.etag !== version) return false;
      try {
        await table.replace(
          tenantId,
          integrationId,
          { ...row.value, encryptedGrant: await credentialCipher().encryptJson(next), grantScope: next.scope },
          version,
        );
        return true;
      } catch (error) {
        if (error instanceof ConflictError) return false;
        throw error;
      }
    },
  };
}

/**
 * Stores the first grant of an authorisation. Refused (false) when the integration's credentials
 * changed since the authorisation started: the code was issued to the client id of then.
 */
export async function saveAuthorisedGrant(
  deps: IntegrationDeps,
  tenantId: string,
  integrationId: string,
  grant: StoredGrant,
  credentialsUpdatedAt: string,
): Promise<boolean> {
  const encryptedGrant = await credentialCipher().encryptJson(grant);
  const grantedAt = new Date(nowMs()).toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await deps.tables.integrations.get(tenantId, integrationId);
    if (!row) throw new ResourceNotFoundError('integration', integrationId);
    if (row.value.credentialsUpdatedAt !== credentialsUpdatedAt) return false;
    try {
      await deps.tables.integrations.replace(
        tenantId,
        integrationId,
        { ...row.value, encryptedGrant, grantScope: grant.scope, grantedAt },
        row.etag,
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError('The integration kept changing while the authorisation was stored; authorise again.');
}
