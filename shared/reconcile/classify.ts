/**
 * The diff at the heart of reconcile (docs/reconcile.md): what the hub recorded against what the
 * vendor lists, matched by a key per kind of resource. Pure, so every class is provable without a
 * vendor. A recorded item missing from the vendor's list is `missing_at_vendor`; one present with a
 * field different from what the hub expects is `drifted` (with each difference); a listed item the
 * hub has no record of is `unknown_to_us`.
 */
export const RESOURCE_KINDS = [
  'autotask.ticketWebhook',
  'halopsa.webhook',
  'microsoft365.subscription',
  'microsoft365.gdapRelationship',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export const RECONCILE_CLASSES = ['ours_ok', 'missing_at_vendor', 'drifted', 'unknown_to_us'] as const;
export type ReconcileClass = (typeof RECONCILE_CLASSES)[number];

export type FieldValue = string | boolean;

export interface RecordedResource {
  kind: ResourceKind;
  /** What matches it to a listed item (vendor id; GDAP: the customer tenant id). */
  key: string;
  /** The vendor's id as recorded (shown and used for repairs). */
  vendorId: string;
  label: string;
  /** True only when the hub itself created it at the vendor: the only ones a repair may touch. */
  createdByHub: boolean;
  webhookId?: string | undefined;
  integrationId?: string | undefined;
  /** Fields the hub expects the vendor to show; a field left out is not compared. */
  expected: Record<string, FieldValue>;
}

export interface ListedResource {
  kind: ResourceKind;
  key: string;
  vendorId: string;
  label: string;
  actual: Record<string, FieldValue>;
}

export interface FieldDifference {
  field: string;
  expected: FieldValue;
  actual: FieldValue | null;
}

export interface ReconcileItem {
  /** Stable within a report: `<kind>:<vendor id>`; apply names items by it. */
  item: string;
  kind: ResourceKind;
  vendorId: string;
  label: string;
  class: ReconcileClass;
  createdByHub: boolean;
  webhookId?: string | undefined;
  integrationId?: string | undefined;
  differences?: FieldDifference[] | undefined;
}

const matchKey = (kind: ResourceKind, key: string) => `${kind}|${key.toLowerCase()}`;

export function itemName(kind: ResourceKind, vendorId: string): string {
  return `${kind}:${vendorId}`;
}

export function classify(recorded: RecordedResource[], listed: ListedResource[]): ReconcileItem[] {
  const byKey = new Map<string, ListedResource>();
  for (const resource of listed) {
    const key = matchKey(resource.kind, resource.key);
    if (!byKey.has(key)) byKey.set(key, resource);
  }
  const matched = new Set<string>();
  const items: ReconcileItem[] = [];
  for (const mine of recorded) {
    const key = matchKey(mine.kind, mine.key);
    const theirs = byKey.get(key);
    const base = {
      kind: mine.kind,
      label: mine.label,
      createdByHub: mine.createdByHub,
      ...(mine.webhookId !== undefined ? { webhookId: mine.webhookId } : {}),
      ...(mine.integrationId !== undefined ? { integrationId: mine.integrationId } : {}),
    };
    if (!theirs) {
      items.push({
        ...base,
        item: itemName(mine.kind, mine.vendorId),
        vendorId: mine.vendorId,
        class: 'missing_at_vendor',
      });
      continue;
    }
    matched.add(key);
    const differences: FieldDifference[] = [];
    for (const [field, expected] of Object.entries(mine.expected)) {
      const actual = theirs.actual[field];
      if (actual !== expected) differences.push({ field, expected, actual: actual ?? null });
    }
    items.push({
      ...base,
      item: itemName(mine.kind, theirs.vendorId),
      vendorId: theirs.vendorId,
      class: differences.length > 0 ? 'drifted' : 'ours_ok',
      ...(differences.length > 0 ? { differences } : {}),
    });
  }
  for (const theirs of listed) {
    const key = matchKey(theirs.kind, theirs.key);
    if (matched.has(key)) continue;
    matched.add(key);
    items.push({
      item: itemName(theirs.kind, theirs.vendorId),
      kind: theirs.kind,
      vendorId: theirs.vendorId,
      label: theirs.label,
      class: 'unknown_to_us',
      createdByHub: false,
    });
  }
  return items;
}

export function summarise(items: ReconcileItem[]): Record<ReconcileClass, number> {
  const counts: Record<ReconcileClass, number> = { ours_ok: 0, missing_at_vendor: 0, drifted: 0, unknown_to_us: 0 };
  for (const item of items) counts[item.class]++;
  return counts;
}
