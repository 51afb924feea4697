import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../shared/integrations/classify';
import { VendorError } from '../../shared/vendors/contract';
import { connector } from '../../shared/vendors/microsoft365';
import { checkGraphSubscription, readGraphLifecycle } from '../../shared/vendors/microsoft365/subscriptions';

describe('Graph permissions, change types and lifecycle notices', () => {
  it('the setup hint lists every application permission the features need', () => {
    const hint = connector.catalog.credentialFields.find((f) => f.name === 'clientId')?.hint ?? '';
    for (const permission of [
      'Organization.Read.All',
      'DelegatedAdminRelationship.Read.All',
      'User.Read.All',
      'Group.Read.All',
    ]) {
      expect(hint).toContain(permission);
    }
  });

  it('a 403 names the permission its call needed', () => {
    const forbidden = (operation: string) =>
      classifyFailure(
        connector,
        new VendorError({
          vendor: 'microsoft365',
          operation,
          kind: 'forbidden',
          httpStatus: 403,
          vendorMessage: 'Insufficient privileges to complete the operation.',
        }),
      );
    expect(forbidden('user.lookup')).toMatchObject({ state: 'needs_attention' });
    expect(forbidden('user.lookup').hint).toContain('User.Read.All');
    expect(forbidden('gdap').hint).toContain('DelegatedAdminRelationship.Read.All');
    expect(forbidden('probe').hint).toContain('Organization.Read.All');
    expect(forbidden('subscription.create').hint).toContain('User.Read.All');
  });

  it('changeType is checked per resource', () => {
    expect(checkGraphSubscription('users', 'updated')).toEqual({ ok: true });
    expect(checkGraphSubscription('/users/abc', 'updated,deleted')).toEqual({ ok: true });
    expect(checkGraphSubscription('groups', 'deleted')).toEqual({ ok: true });
    expect(checkGraphSubscription('users', 'created')).toMatchObject({ ok: false, field: 'changeType' });
    expect(checkGraphSubscription('users', 'updated,updated')).toMatchObject({ ok: false, field: 'changeType' });
    expect(checkGraphSubscription('users', '')).toMatchObject({ ok: false, field: 'changeType' });
    expect(checkGraphSubscription('me/messages', 'created')).toMatchObject({ ok: false, field: 'resource' });
  });

  it('a body is lifecycle notices only when every item carries a known lifecycleEvent', () => {
    const item = { subscriptionId: 's1', clientState: 'x', lifecycleEvent: 'missed' };
    expect(readGraphLifecycle({ value: [item] })).toEqual([{ subscriptionId: 's1', lifecycleEvent: 'missed' }]);
    expect(readGraphLifecycle({ value: [item, { subscriptionId: 's1', changeType: 'updated' }] })).toBeUndefined();
    expect(readGraphLifecycle({ value: [{ ...item, lifecycleEvent: 'somethingNew' }] })).toBeUndefined();
    expect(readGraphLifecycle({ value: [] })).toBeUndefined();
    expect(readGraphLifecycle(null)).toBeUndefined();
  });
});
