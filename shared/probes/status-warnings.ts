import type { VendorId } from '../vendors/contract';
import { connectorFor } from '../vendors/registry';

/**
 * Standing warnings on an integration's status: things the probe cannot see go wrong until they do.
 * Today one: a Datto RMM / Datto EDR integration saved before the key expiry was required at create
 * (docs/decisions.md §58) has no expiry, and neither vendor's API reports one, so the hub cannot warn
 * before the key stops working. The connector's own create-time check decides (`requiredAtCreate`),
 * so the warning goes away exactly when the config would now be accepted.
 */
export interface StatusWarning {
  code: 'expiry_unknown';
  /** The config field to fill in. */
  field: string;
  hint: string;
}

function parseConfig(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function statusWarnings(vendor: VendorId, configText: string | undefined): StatusWarning[] {
  const check = connectorFor(vendor).requiredAtCreate;
  const config = configText === undefined ? undefined : parseConfig(configText);
  if (!check || !config) return [];
  const missing = check(config);
  if (!missing) return [];
  const why = missing.message.replace(/\s*Nothing was saved\.\s*$/, '');
  return [
    {
      code: 'expiry_unknown',
      field: missing.field,
      hint: `${why} This integration was saved without it: add it with PATCH /api/v1/integrations/{id} so the hub warns before the key stops working.`,
    },
  ];
}
