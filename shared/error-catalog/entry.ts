import type { IntegrationType } from '../analytics/counters';

/** A type's remediation: what to do, or why the code cannot occur for that type. */
export type RemediationSource = string | { na: string };

export interface CatalogSource {
  /** An HTTP status (`404`), a class (`4xx`) or a platform code (`signature_invalid`, `882`). */
  code: string;
  /** The HTTP status the hub answers (or meets) with this code; null for classes and pipeline-only codes. */
  status: number | null;
  title: string;
  meaning: string;
  remediation: Record<IntegrationType, RemediationSource>;
  /** False for a dashboard code this hub has no equivalent of (it never emits it). */
  emitted?: boolean;
  /** Codes elsewhere in the catalog with the same meaning here (e.g. `804` and `crashed`). */
  related?: readonly string[];
}

/** Vendor quirks that refine a code's prebuilt_integration / custom_node remediation. */
export interface VendorNote {
  vendor: string;
  note: string;
}
