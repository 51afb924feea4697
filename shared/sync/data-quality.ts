import type { DataQualityWarning } from './adapter';

/**
 * Data-quality checks on a vendor record (docs/sync.md, "Data quality"): required fields that are
 * missing or null, and text the vendor mangled (U+FFFD, the replacement character a bad decode
 * leaves; lone surrogates, which no UTF-8 encoder can write). A warning never stops the record.
 */

const REPLACEMENT = '\uFFFD';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkRecord(
  record: Record<string, unknown>,
  vendorId: string | undefined,
  required: readonly string[],
): DataQualityWarning[] {
  const warnings: DataQualityWarning[] = [];
  for (const field of required) {
    if (!(field in record)) warnings.push({ kind: 'missing_required', field, vendorId });
    else if (record[field] === null || record[field] === '') warnings.push({ kind: 'null_value', field, vendorId });
  }
  for (const [field, value] of Object.entries(record)) {
    if (typeof value === 'string' && (value.includes(REPLACEMENT) || LONE_SURROGATE.test(value))) {
      warnings.push({ kind: 'encoding', field, vendorId });
    }
  }
  return warnings;
}
