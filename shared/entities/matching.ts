import type { CompanyValues } from './tables';

/**
 * Matching keys (docs/entity-sync.md, "Matching"): after the external id, a company is the same
 * as another when their normalised names or their web domains agree. Normalising drops case,
 * accents, punctuation and the legal-form words that differ between products ("Ltd", "Inc").
 */

const LEGAL_FORMS = new Set([
  'ltd',
  'limited',
  'inc',
  'llc',
  'plc',
  'gmbh',
  'co',
  'corp',
  'corporation',
  'company',
  'the',
]);

export function normaliseName(name: string | undefined): string {
  if (!name) return '';
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '' && !LEGAL_FORMS.has(w))
    .join(' ');
}

/** `https://www.contoso.com/about` → `contoso.com`; '' when there is no usable host. */
export function domainOf(website: string | undefined): string {
  if (!website) return '';
  const trimmed = website.trim().toLowerCase();
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//.test(trimmed) ? trimmed : `https://${trimmed}`);
    return url.hostname.replace(/^www\./, '');
  } catch {
    return '';
  }
}

export function matchKeys(values: CompanyValues): { matchName: string; matchDomain: string } {
  return { matchName: normaliseName(values.name), matchDomain: domainOf(values.website) };
}

export function sameCompany(
  a: { matchName: string; matchDomain: string },
  b: { matchName: string; matchDomain: string },
): boolean {
  return (
    (a.matchDomain !== '' && a.matchDomain === b.matchDomain) || (a.matchName !== '' && a.matchName === b.matchName)
  );
}

/** A contact's keys: the e-mail address (case and spaces ignored) and the normalised name. */
export function contactMatchKeys(values: { name?: string | undefined; email?: string | undefined }): {
  matchEmail: string;
  matchName: string;
} {
  return { matchEmail: (values.email ?? '').trim().toLowerCase(), matchName: normaliseName(values.name) };
}
