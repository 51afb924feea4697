import type { DataQualityWarning, SyncEntity, SyncedRecord, SyncFilters, SyncStep } from './adapter';

/**
 * Data-quality checks on a vendor record (docs/sync.md, "Data quality"): required fields that are
 * missing or null, and text the vendor mangled (U+FFFD, the replacement character a bad decode
 * leaves; lone surrogates, which no UTF-8 encoder can write). A warning never stops the record.
 */

const REPLACEMENT = '\uFFFD';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A vendor field as text: strings as they are, numbers (ids, picklist values) in decimal, else undefined. */
export const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

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

/**
 * One engine page's records as an adapter builds them from the vendor's rows: the records it keeps,
 * every warning, and the rows it could not store (no id). `check` is the step every adapter runs on
 * each row; what to keep after it (filters, an incremental stop) stays with the adapter.
 */
export class PageRecords {
  readonly records: SyncedRecord[] = [];
  readonly warnings: DataQualityWarning[] = [];
  failed = 0;

  /** The row's warnings recorded; its record back when it has an id, else counted as failed. */
  check(
    row: Record<string, unknown>,
    record: SyncedRecord | undefined,
    required: readonly string[],
    idField = 'id',
  ): SyncedRecord | undefined {
    this.warnings.push(...checkRecord(row, record?.vendorId, required));
    if (record) return record;
    this.failed++;
    this.warnings.push({ kind: 'missing_id', field: idField, vendorId: undefined });
    return undefined;
  }
}

/** A run's steps in the vendor's order, one per entity asked for. */
export function stepsInOrder(order: readonly SyncEntity[], entities: readonly SyncEntity[]): SyncStep[] {
  return order.filter((entity) => entities.includes(entity)).map((entity): SyncStep => ({ entity }));
}

/**
 * The same for a PSA, whose tickets are two steps unless one status is asked for: open first
 * (the ones people work on today), then closed.
 */
export function psaStepsInOrder(
  order: readonly SyncEntity[],
  entities: readonly SyncEntity[],
  filters: SyncFilters,
): SyncStep[] {
  return stepsInOrder(order, entities).flatMap((step): SyncStep[] => {
    if (step.entity !== 'tickets') return [step];
    if (filters.ticketStatus === 'open' || filters.ticketStatus === 'closed')
      return [{ entity: 'tickets', variant: filters.ticketStatus }];
    return [
      { entity: 'tickets', variant: 'open' },
      { entity: 'tickets', variant: 'closed' },
    ];
  });
}
