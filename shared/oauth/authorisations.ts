import type { Principal } from '../apikeys/principal';
import { recordAudit } from '../audit/audit-log';
import { DomainError } from '../errors/domain-error';
import { openIntegrationSession } from '../integrations/integrations';
import { oauthRedirectUri, saveAuthorisedGrant, usesAuthorisationCode } from '../integrations/oauth-grant';
import { exchangeHaloCode, type HaloSession } from '../vendors/halopsa/auth';
import { haloAuthorizeUrl, missingHaloScopes } from '../vendors/halopsa/oauth-requests';
import type { OAuthDeps } from './deps';
import { codeChallengeS256, newCodeVerifier, newState } from './pkce';
import { consumeState, saveState, stateInvalid } from './states';

/**
 * The authorisation-code flow an admin completes in a browser (docs/integrations.md "Halo PSA
 * authorisation"): `startAuthorisation` answers the URL to open; Halo sends the browser back to
 * the anonymous callback, where `completeAuthorisation` trusts nothing but the state record.
 */

export interface AuthorisationStart {
  authorizeUrl: string;
  redirectUri: string;
  expiresAt: string;
}

function notAvailable(detail: string): DomainError {
  return new DomainError('oauth_not_available', detail);
}

export async function startAuthorisation(
  deps: OAuthDeps,
  caller: Principal,
  integrationId: string,
  correlationId: string,
): Promise<AuthorisationStart> {
  const { session, record } = await openIntegrationSession(
    deps.integrations,
    caller.tenantId,
    integrationId,
    correlationId,
  );
  if (!usesAuthorisationCode(record)) {
    throw notAvailable(
      'This integration is not authorised in a browser: only Halo PSA integrations with config grant "authorization_code" are.',
    );
  }
  const redirectUri = oauthRedirectUri(deps.publicBaseUrl);
  if (!redirectUri) {
    throw notAvailable('PUBLIC_BASE_URL is not set, so the hub has no address Halo could send the browser back to.');
  }
  const state = newState();
  const verifier = newCodeVerifier();
  const expiresAt = await saveState(deps.states, state, {
    tenantId: caller.tenantId,
    integrationId,
    keyId: caller.keyId,
    verifier,
    redirectUri,
    credentialsUpdatedAt: record.credentialsUpdatedAt,
  });
  const halo = session as HaloSession;
  const authorizeUrl = haloAuthorizeUrl(halo.credentials, halo.config, {
    redirectUri,
    state,
    codeChallenge: codeChallengeS256(verifier),
  });
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'integration.authorisation_started',
    actorKeyId: caller.keyId,
    targetType: 'integration',
    targetId: integrationId,
    correlationId,
    details: { vendor: record.vendor, expiresAt },
  });
  return { authorizeUrl, redirectUri, expiresAt };
}

export interface CallbackInput {
  state: string;
  code?: string | undefined;
  error?: string | undefined;
}

/** What the admin's browser is told: which integration, and what Halo granted or did not. */
export interface AuthorisationDone {
  integrationId: string;
  grantedScope: string;
  missingScopes: string[];
}

export async function completeAuthorisation(
  deps: OAuthDeps,
  input: CallbackInput,
  correlationId: string,
): Promise<AuthorisationDone> {
  // The state is spent first, whatever follows: a link works once, refused or not.
  const started = await consumeState(deps.states, input.state);
  if (input.error !== undefined) {
    await recordAudit(deps.audit, started.tenantId, {
      action: 'integration.authorisation_refused',
      actorKeyId: started.keyId,
      targetType: 'integration',
      targetId: started.integrationId,
      correlationId,
      details: { vendor: 'halopsa', error: input.error.slice(0, 100) },
    });
    throw new DomainError(
      'oauth_denied',
      'Halo did not authorise the integration (the sign-in was cancelled or refused); nothing was stored. Start the authorisation again from the hub.',
      { vendorCode: input.error.slice(0, 100) },
    );
  }
  if (input.code === undefined) throw stateInvalid();
  const { session, record } = await openIntegrationSession(
    deps.integrations,
    started.tenantId,
    started.integrationId,
    correlationId,
  );
  if (!usesAuthorisationCode(record)) throw stateInvalid();
  const grant = await exchangeHaloCode(session as HaloSession, {
    code: input.code,
    codeVerifier: started.verifier,
    redirectUri: started.redirectUri,
  });
  const saved = await saveAuthorisedGrant(
    deps.integrations,
    started.tenantId,
    started.integrationId,
    grant,
    started.credentialsUpdatedAt,
  );
  if (!saved) throw stateInvalid();
  const missingScopes = missingHaloScopes(grant.scope);
  await recordAudit(deps.audit, started.tenantId, {
    action: 'integration.authorised',
    actorKeyId: started.keyId,
    targetType: 'integration',
    targetId: started.integrationId,
    correlationId,
    details: { vendor: record.vendor, scope: grant.scope, missingScopes: missingScopes.join(' ') },
  });
  return { integrationId: started.integrationId, grantedScope: grant.scope, missingScopes };
}
