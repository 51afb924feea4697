import type { VendorSession } from '../../vendors/contract';
import type { RmmSession } from '../../vendors/datto-rmm/index';
import { listRmmPage, RMM_MAX_PAGE } from '../../vendors/datto-rmm/listing';
import { getRmmSite, type RmmSiteUpdate, updateRmmSite } from '../../vendors/datto-rmm/sites';
import type { CompanyValues } from '../tables';
import { type CompanySource, type ProductCompany, text, valuesOf } from './company-source';

/**
 * Datto RMM sites as companies (docs/entity-sync.md, "Products"): listed with
 * `GET /api/v2/account/sites`, read with `GET /api/v2/site/{siteUid}`, written with
 * `POST /api/v2/site/{siteUid}`. A site holds a name and no phone or website, so `name` is the only
 * canonical field. The vendor id is the site's `uid`, the only id the API addresses a site by.
 */

/** Pages of 250 read for one list: 10,000 sites, far beyond any MSP's account. */
const MAX_PAGES = 40;

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.uid);
  if (vendorId === undefined || vendorId === '') return undefined;
  return { vendorId, values: valuesOf(row, { name: 'name' }) };
}

export const dattoRmmSites: CompanySource = {
  vendor: 'datto-rmm',
  writable: true,
  async list(session: VendorSession<unknown, unknown>) {
    const companies: ProductCompany[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await listRmmPage(session as RmmSession, { entity: 'sites', page, max: RMM_MAX_PAGE });
      for (const row of listed.records) {
        const company = toCompany(row);
        if (company) companies.push(company);
      }
      if (!listed.more) break;
    }
    return companies;
  },
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const site = await getRmmSite(session as RmmSession, vendorId);
    return site === undefined ? undefined : toCompany(site);
  },
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: CompanyValues) {
    if (values.name === undefined) return;
    // A SiteRequest replaces the site's editable fields: send back what the site holds now, with the new name.
    const current = (await getRmmSite(session as RmmSession, vendorId)) ?? {};
    const update: RmmSiteUpdate = { name: values.name };
    if (typeof current.description === 'string') update.description = current.description;
    if (typeof current.notes === 'string') update.notes = current.notes;
    if (typeof current.onDemand === 'boolean') update.onDemand = current.onDemand;
    if (typeof current.splashtopAutoInstall === 'boolean') update.splashtopAutoInstall = current.splashtopAutoInstall;
    await updateRmmSite(session as RmmSession, vendorId, update);
  },
};
