import { autotaskCompanies } from './autotask-companies';
import type { CompanySource } from './company-source';
import { dattoRmmSites } from './datto-rmm-sites';
import { haloCompanies } from './halo-companies';
import { itglueOrganizations } from './itglue-organizations';
import { microsoft365Tenants } from './microsoft365-tenants';
import { pax8Companies } from './pax8-companies';

/** The products entity sync reads companies from (docs/entity-sync.md, "Products"). */
const SOURCES: readonly CompanySource[] = [
  haloCompanies,
  autotaskCompanies,
  dattoRmmSites,
  itglueOrganizations,
  pax8Companies,
  microsoft365Tenants,
];

export function companySourceFor(vendor: string): CompanySource | undefined {
  return SOURCES.find((s) => s.vendor === vendor);
}

export const COMPANY_VENDORS: readonly string[] = SOURCES.map((s) => s.vendor);
