import type { VendorSession } from '../../vendors/contract';
import type { ContactValues } from '../tables';

/**
 * One product's contact as entity sync sees it: its id, the canonical fields it holds and the
 * product's id of the company it belongs to (which the company links turn into a canonical company).
 */
export interface ProductContact {
  vendorId: string;
  values: ContactValues;
  companyVendorId?: string | undefined;
}

/**
 * What entity sync needs of a product that holds contacts (docs/entity-sync.md, "Contacts"), the
 * counterpart of CompanySource: list them, read one now, and write fields back where allowed.
 */
export interface ContactSource {
  vendor: string;
  /** False for products the hub must never write to: their side of a change is read only. */
  writable: boolean;
  list(session: VendorSession<unknown, unknown>): Promise<ProductContact[]>;
  get(session: VendorSession<unknown, unknown>, vendorId: string): Promise<ProductContact | undefined>;
  update(session: VendorSession<unknown, unknown>, vendorId: string, values: ContactValues): Promise<void>;
}

/** `Ada` + `Lovelace` → `Ada Lovelace`; either part may be missing. */
export function fullName(first: string | undefined, last: string | undefined): string | undefined {
  const name = [first, last].filter((p) => p !== undefined && p.trim() !== '').join(' ');
  return name === '' ? undefined : name;
}

/** `Ada King Lovelace` → first `Ada`, last `King Lovelace`, for products that keep the two apart. */
export function splitName(name: string): { first: string; last: string } {
  const trimmed = name.trim();
  const space = trimmed.indexOf(' ');
  return space < 0 ? { first: trimmed, last: '' } : { first: trimmed.slice(0, space), last: trimmed.slice(space + 1) };
}
