import { autotaskCompanies } from './autotask-companies';
import type { CompanySource } from './company-source';
import { dattoRmmSites } from './datto-rmm-sites';
import { haloCompanies } from './halo-companies';

/** The products entity sync reads companies from (docs/entity-sync.md, "Products"). */
const SOURCES: readonly CompanySource[] = [haloCompanies, autotaskCompanies, dattoRmmSites];

export function companySourceFor(vendor: string): CompanySource | undefined {
  return SOURCES.find((s) => s.vendor === vendor);
}

export const COMPANY_VENDORS: readonly string[] = SOURCES.map((s) => s.vendor);
