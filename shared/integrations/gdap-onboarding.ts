import type { Principal } from '../apikeys/principal';
import { DomainError, isDomainError } from '../errors/domain-error';
import type { M365Config, M365Credentials } from '../vendors/microsoft365/config';
import type { M365Session } from '../vendors/microsoft365/index';
import { type ListedGdapRelationship, listGdapRelationships } from '../vendors/microsoft365/listing';
import type { IntegrationDeps } from './deps';
import { directoryTenantIds } from './directory-tenants';
import { createIntegration, getIntegration, openIntegrationSession } from './integrations';

/**
 * Onboarding a Microsoft 365 partner's customers through GDAP (docs/integrations.md, "Microsoft 365
 * partners"): list the customer tenants the partner's GDAP relationships reach — status, roles, end
 * date — and create one integration per chosen customer in one call. Each customer integration
 * uses the partner's app (its credentials are copied server-side, never shown) against the
 * customer's tenant id. The relationships' expiry stays watched where it is today: by the partner
 * integration's probe (`checkGdap`).
 */
const LIVE = new Set(['active', 'expiring']);

export interface GdapCustomer {
  tenantId: string;
  name: string | null;
  /** True when at least one relationship still grants access (`active` or `expiring`). */
  reachable: boolean;
  relationships: {
    id: string;
    displayName: string;
    status: string;
    endDateTime: string | null;
    roles: string[];
  }[];
  /** The hub integration already made for this customer, if any. */
  integrationId: string | null;
}

async function openPartner(deps: IntegrationDeps, caller: Principal, id: string, correlationId: string) {
  const partner = await getIntegration(deps, caller, id);
  if (partner.vendor !== 'microsoft365') {
    throw new DomainError('validation_failed', 'GDAP onboarding starts from a Microsoft 365 partner integration.', {
      field: 'id',
    });
  }
  if (partner.config.checkGdap === false) {
    throw new DomainError(
      'validation_failed',
      "Set checkGdap on the partner integration first: its probe is what watches the relationships' end dates.",
      { field: 'checkGdap' },
    );
  }
  const opened = await openIntegrationSession(deps, caller.tenantId, id, correlationId);
  return { partner, session: opened.session as M365Session };
}

function byCustomer(relationships: ListedGdapRelationship[]): Map<string, ListedGdapRelationship[]> {
  const out = new Map<string, ListedGdapRelationship[]>();
  for (const r of relationships) {
    if (r.customerTenantId === undefined) continue;
    out.set(r.customerTenantId, [...(out.get(r.customerTenantId) ?? []), r]);
  }
  return out;
}

export async function listGdapCustomers(
  deps: IntegrationDeps,
  caller: Principal,
  partnerId: string,
  correlationId: string,
): Promise<{ customers: GdapCustomer[]; truncated: boolean }> {
  const { partner, session } = await openPartner(deps, caller, partnerId, correlationId);
  const read = await listGdapRelationships(session);
  const existing = await directoryTenantIds(deps, caller.tenantId, 'microsoft365');
  const own = String(partner.config.tenantId ?? '').toLowerCase();
  const customers: GdapCustomer[] = [];
  for (const [tenantId, relationships] of byCustomer(read.items)) {
    if (tenantId === own) continue;
    customers.push({
      tenantId,
      name: relationships.find((r) => r.customerName)?.customerName ?? null,
      reachable: relationships.some((r) => LIVE.has(r.status)),
      relationships: relationships.map((r) => ({
        id: r.id,
        displayName: r.displayName,
        status: r.status,
        endDateTime: r.endDateTime ?? null,
        roles: r.roles,
      })),
      integrationId: existing.get(tenantId) ?? null,
    });
  }
  customers.sort((a, b) => (a.name ?? a.tenantId).localeCompare(b.name ?? b.tenantId));
  return { customers, truncated: read.truncated };
}

export interface OnboardResult {
  tenantId: string;
  outcome: 'created' | 'exists' | 'refused' | 'failed';
  integrationId?: string | undefined;
  /** `not_a_customer`, `no_active_relationship`, or the error code of a failed create. */
  reason?: string | undefined;
}

export async function onboardGdapCustomers(
  deps: IntegrationDeps,
  caller: Principal,
  partnerId: string,
  input: { customers: { tenantId: string; name?: string | undefined }[]; skipTest: boolean },
  correlationId: string,
): Promise<{ results: OnboardResult[] }> {
  const listed = await listGdapCustomers(deps, caller, partnerId, correlationId);
  const { session } = await openPartner(deps, caller, partnerId, correlationId);
  const credentials: M365Credentials = session.credentials;
  const { checkGdap: _partnerOnly, tenantId: _partnerTenant, ...shared } = session.config as M365Config;
  const results: OnboardResult[] = [];
  for (const wanted of input.customers) {
    const tenantId = wanted.tenantId.toLowerCase();
    const customer = listed.customers.find((c) => c.tenantId === tenantId);
    if (!customer) {
      results.push({ tenantId, outcome: 'refused', reason: 'not_a_customer' });
      continue;
    }
    if (customer.integrationId) {
      results.push({ tenantId, outcome: 'exists', integrationId: customer.integrationId });
      continue;
    }
    if (!customer.reachable) {
      results.push({ tenantId, outcome: 'refused', reason: 'no_active_relationship' });
      continue;
    }
    try {
      const created = await createIntegration(
        deps,
        caller,
        {
          vendor: 'microsoft365',
          name: (wanted.name ?? customer.name ?? tenantId).slice(0, 100),
          credentials: { clientId: credentials.clientId, clientSecret: credentials.clientSecret },
          // The customer's own probe does not read GDAP: the partner's already watches it.
          config: { ...shared, tenantId, checkGdap: false },
        },
        { skipTest: input.skipTest, correlationId },
      );
      results.push({ tenantId, outcome: 'created', integrationId: created.id });
    } catch (error) {
      results.push({ tenantId, outcome: 'failed', reason: isDomainError(error) ? error.code : 'unexpected' });
    }
  }
  return { results };
}
