import { COMPANY_FIELDS, type FieldValues } from './tables';

/**
 * Three-way comparison of one company or contact (docs/entity-sync.md, "Conflicts"): per field, the base is
 * the value every product held after the last sync. A product whose value differs from the base
 * changed it. One side changed (or every changed side agrees): the new value propagates. Two sides
 * changed it to different values: a conflict, and nobody's value is written.
 */

export interface ProductSide {
  integrationId: string;
  vendor: string;
  values: FieldValues;
  /**
   * What this product held at the last sync, when that differs from the shared base: a read-only
   * product (IT Glue, Microsoft 365) never takes the hub's value, so it moved only if it moved
   * away from its own last value.
   */
  held?: FieldValues | undefined;
}

export interface FieldConflict {
  field: string;
  base: string;
  versions: { integrationId: string; vendor: string; value: string }[];
}

export interface ThreeWayResult {
  /** Fields whose new value propagates, with that value. */
  changes: FieldValues;
  conflicts: FieldConflict[];
}

export function threeWay(
  base: FieldValues,
  sides: readonly ProductSide[],
  fields: readonly string[] = COMPANY_FIELDS,
): ThreeWayResult {
  const changes: FieldValues = {};
  const conflicts: FieldConflict[] = [];
  for (const field of fields) {
    const was = base[field] ?? '';
    // A product that does not hold the field (Halo without a website) neither changed nor blocks it.
    const moved = sides.filter((s) => s.values[field] !== undefined && s.values[field] !== (s.held?.[field] ?? was));
    if (moved.length === 0) continue;
    const proposals = new Set(moved.map((s) => s.values[field] ?? ''));
    if (proposals.size === 1) {
      changes[field] = [...proposals][0] ?? '';
      continue;
    }
    conflicts.push({
      field,
      base: was,
      versions: moved.map((s) => ({ integrationId: s.integrationId, vendor: s.vendor, value: s.values[field] ?? '' })),
    });
  }
  return { changes, conflicts };
}
