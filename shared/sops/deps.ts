import { depsFromServices } from '../app/services';
import { ResourceNotFoundError } from '../errors/domain-error';
import { integrationDeps } from '../integrations/deps';
import { getIntegration } from '../integrations/integrations';
import type { SopDeps } from './sops';
import { sopTables } from './tables';

/** The SOP tables and the audit log, built once per Services instance. */
export const sopDeps: () => SopDeps = depsFromServices((svc) => ({
  tables: sopTables(svc.account),
  audit: svc.audit,
  integrationVendor,
}));

/** Through the integrations capability's own read (a SOP save is rare; its extra reads do not matter). */
async function integrationVendor(tenantId: string, integrationId: string): Promise<string | undefined> {
  try {
    const found = await getIntegration(
      integrationDeps(),
      { tenantId, keyId: 'sop-validation', scopes: [] },
      integrationId,
    );
    return found.vendor;
  } catch (error) {
    if (error instanceof ResourceNotFoundError) return undefined;
    throw error;
  }
}
