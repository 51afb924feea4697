import type { VendorSession } from '../../vendors/contract';
import type { CompanyValues } from '../tables';

/** One product's company as entity sync sees it: the vendor's id and the canonical fields it holds. */
export interface ProductCompany {
  vendorId: string;
  values: CompanyValues;
}

/**
 * What entity sync needs of a product that holds companies (docs/entity-sync.md, "Products"):
 * list them, read one now, and — where the product allows writes — write fields back. Every call
 * goes through the integration's vendor HTTP port, so its destinations, budget and gates apply.
 */
export interface CompanySource {
  vendor: string;
  /** False for products the hub must never write to (IT Glue): their side of a change is read only. */
  writable: boolean;
  list(session: VendorSession<unknown, unknown>): Promise<ProductCompany[]>;
  get(session: VendorSession<unknown, unknown>, vendorId: string): Promise<ProductCompany | undefined>;
  update(session: VendorSession<unknown, unknown>, vendorId: string, values: CompanyValues): Promise<void>;
}

export const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** Canonical field → the product's field of the same meaning (one map serves reads and writes). */
export type FieldMap = Readonly<Record<string, string>>;

/** The canonical values a product row holds, by the map (text and numbers only). */
export function valuesOf(row: Record<string, unknown>, map: FieldMap): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [canonical, field] of Object.entries(map)) {
    const value = text(row[field]);
    if (value !== undefined) values[canonical] = value;
  }
  return values;
}

/** The product fields to write for the canonical values given, by the same map. */
export function fieldsOf(values: Readonly<Record<string, string | undefined>>, map: FieldMap): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [canonical, field] of Object.entries(map)) {
    const value = values[canonical];
    if (value !== undefined) fields[field] = value;
  }
  return fields;
}
