import type { Attributes } from '@opentelemetry/api';
import { ATTRIBUTE_NAMES, type AttributeName } from './telemetry-names';

export type TelemetryAttributes = Partial<Record<AttributeName, string | number | boolean | undefined>>;

export const MAX_ATTRIBUTE_LENGTH = 256;

/** Only known keys, scalar values, strings capped: the one door every attribute passes through. */
export function safeAttributes(attributes: TelemetryAttributes | undefined): Attributes {
  const out: Attributes = {};
  if (attributes === undefined) return out;
  const known = new Set<string>(Object.values(ATTRIBUTE_NAMES));
  for (const [key, value] of Object.entries(attributes)) {
    if (!known.has(key) || value === undefined) continue;
    if (typeof value === 'string') out[key] = value.slice(0, MAX_ATTRIBUTE_LENGTH);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  return out;
}
