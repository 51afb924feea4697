import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { integrationDeps } from '../../shared/integrations/deps';
import { listGdapCustomers, onboardGdapCustomers } from '../../shared/integrations/gdap-onboarding';
import { createIntegration, getIntegration, openIntegrationSession } from '../../shared/integrations/integrations';
import { readGdapRelationship } from '../../shared/vendors/microsoft365/listing';
import { gdapRelationship, M365_FAKE_CREDENTIALS, M365_FAKE_TENANT, M365FakeServer } from '../fakes/microsoft365';
import { installLocalSettings } from '../support/local-settings';

/**
 * Onboarding a Microsoft 365 partner's customers through GDAP (docs/integrations.md): the customer
 * list from the partner's relationships, and one integration per chosen customer in one call, each
 * refused or reported when it cannot or need not be made.
 */
const graph = new M365FakeServer();
beforeAll(async () => {
  installLocalSettings();
  await graph.start();
});
afterAll(() => graph.stop());

const newCaller = (): Principal => ({ tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'key1', scopes: ['admin'] });
const m365 = (caller: Principal, name: string, tenantId: string, checkGdap: boolean) =>
  createIntegration(
    integrationDeps(),
    caller,
    {
      vendor: 'microsoft365',
      name,
      credentials: { ...M365_FAKE_CREDENTIALS },
      config: { tenantId, baseUrl: graph.baseUrl, checkGdap },
    },
    { skipTest: true, correlationId: 'setup' },
  );

describe('Microsoft 365 GDAP onboarding', () => {
  it('lists customers with their relationships and creates one integration per chosen, reachable customer', async () => {
    const caller = newCaller();
    const partner = await m365(caller, 'Partner', M365_FAKE_TENANT, true);
    const [contoso, ended, known] = [randomUUID(), randomUUID(), randomUUID()];
    const existing = await m365(caller, 'Known customer', known, false);
    graph.relationships = [
      gdapRelationship({
        endDateTime: '2099-01-01T00:00:00Z',
        customer: { tenantId: contoso, displayName: 'Contoso' },
      }),
      gdapRelationship({
        endDateTime: '2020-01-01T00:00:00Z',
        status: 'terminated',
        customer: { tenantId: ended, displayName: 'Ended Ltd' },
      }),
      gdapRelationship({ endDateTime: '2099-01-01T00:00:00Z', customer: { tenantId: known, displayName: 'Known' } }),
    ];

    const listed = await listGdapCustomers(integrationDeps(), caller, partner.id, 'corr');
    expect(listed.customers.map((c) => [c.name, c.reachable, c.integrationId])).toEqual([
      ['Contoso', true, null],
      ['Ended Ltd', false, null],
      ['Known', true, existing.id],
    ]);
    expect(listed.customers[0]?.relationships[0]).toMatchObject({
      status: 'active',
      endDateTime: '2099-01-01T00:00:00Z',
    });

    const stranger = randomUUID();
    const { results } = await onboardGdapCustomers(
      integrationDeps(),
      caller,
      partner.id,
      {
        customers: [{ tenantId: contoso }, { tenantId: ended }, { tenantId: known }, { tenantId: stranger }],
        skipTest: true,
      },
      'corr',
    );
    expect(results.map((r) => [r.tenantId, r.outcome, r.reason])).toEqual([
      [contoso, 'created', undefined],
      [ended, 'refused', 'no_active_relationship'],
      [known, 'exists', undefined],
      [stranger, 'refused', 'not_a_customer'],
    ]);
    const created = await getIntegration(integrationDeps(), caller, results[0]?.integrationId ?? '');
    expect(created).toMatchObject({
      vendor: 'microsoft365',
      name: 'Contoso',
      config: { tenantId: contoso, checkGdap: false },
    });
    expect(JSON.stringify(created)).not.toContain(M365_FAKE_CREDENTIALS.clientSecret);
    // The partner's app is what the customer integration signs in with.
    const session = await openIntegrationSession(integrationDeps(), caller.tenantId, created.id, 'corr');
    expect(session.session.credentials).toEqual(M365_FAKE_CREDENTIALS);
  });

  it('starts only from a Microsoft 365 integration that watches GDAP', async () => {
    const caller = newCaller();
    const quiet = await m365(caller, 'No GDAP', M365_FAKE_TENANT, false);
    await expect(listGdapCustomers(integrationDeps(), caller, quiet.id, 'corr')).rejects.toMatchObject({
      code: 'validation_failed',
      details: { field: 'checkGdap' },
    });
  });

  it('reads the roles a relationship grants from accessDetails.unifiedRoles', () => {
    expect(
      readGdapRelationship({
        id: 'r1',
        status: 'active',
        customer: { tenantId: 'ABC', displayName: 'X' },
        accessDetails: { unifiedRoles: [{ roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10' }] },
      }),
    ).toMatchObject({ customerTenantId: 'abc', roles: ['62e90394-69f5-4237-9190-012177145e10'] });
  });
});
