import { z } from 'zod';
import type { NormalizedEvent } from '../events/contract';
import { conditionHolds, conditionSchema, describeCondition } from '../sops/conditions';

/**
 * Ingest filters (docs/pipeline.md, "Ingest filters"): rules on an inbound webhook that drop
 * events the tenant never wants processed — Autotask ticket updates nobody acts on, Graph user
 * changes of a noisy resource — before SOP matching. A filtered event ends `filtered`, a terminal
 * status of its own: it is kept (briefly), listed and replayable, but it is neither a failure nor a
 * `no_sop_matched` in the Failure Analysis and the dashboard, which is why it is not simply left to
 * miss every SOP.
 *
 * A rule is a conjunction of criteria on the normalised event: its source, its entity type (the
 * event type before the first dot: `ticket` of `ticket.updated`), its action (after the last dot:
 * `updated`) and field conditions in the SOP condition language (shared/sops/conditions.ts), so
 * one vocabulary describes what an event is everywhere. The first rule that holds filters the event.
 */

/** Rules per webhook: enough for real noise lists, small enough to read and evaluate per event. */
export const MAX_INGEST_FILTERS = 20;
const MAX_CONDITIONS = 10;
const MAX_VALUES = 20;

const word = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9_-]+$/, 'lower-case letters, digits, `_` and `-`, e.g. ticket or updated');

export const ingestFilterSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).meta({ description: 'Names the rule on every event it filters.' }),
    source: word.optional().meta({ description: 'The event source (vendor id, or `generic`).', example: 'autotask' }),
    entityTypes: z
      .array(word)
      .min(1)
      .max(MAX_VALUES)
      .optional()
      .meta({ description: 'Any of these entity types (the event type before the first dot).', example: ['ticket'] }),
    actions: z
      .array(word)
      .min(1)
      .max(MAX_VALUES)
      .optional()
      .meta({ description: 'Any of these actions (the event type after the last dot).', example: ['updated'] }),
    conditions: z
      .array(conditionSchema)
      .min(1)
      .max(MAX_CONDITIONS)
      .optional()
      .meta({ description: 'Field conditions, as in a SOP; all must hold.' }),
  })
  .refine((rule) => rule.source !== undefined || rule.entityTypes || rule.actions || rule.conditions, {
    message: 'a filter needs at least one of source, entityTypes, actions or conditions (it would drop every event)',
  })
  .meta({ id: 'IngestFilter' });
export type IngestFilter = z.infer<typeof ingestFilterSchema>;

export const ingestFiltersSchema = z
  .array(ingestFilterSchema)
  .max(MAX_INGEST_FILTERS)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      if (seen.has(rule.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the name "${rule.name}" is used twice` });
      }
      seen.add(rule.name);
    });
  })
  .meta({
    id: 'IngestFilters',
    description: `Events matching any rule end \`filtered\` instead of going to SOP matching (at most ${MAX_INGEST_FILTERS}).`,
  });

/** The entity type and action of an event type: `ticket.updated` → ticket, updated. */
export function typeParts(type: string): { entityType: string; action: string } {
  const first = type.indexOf('.');
  const last = type.lastIndexOf('.');
  return first < 0
    ? { entityType: type, action: '' }
    : { entityType: type.slice(0, first), action: type.slice(last + 1) };
}

export interface FilterMatch {
  name: string;
  /** The rule's criteria in words, for the timeline and the dry run. */
  description: string;
}

export function describeFilter(rule: IngestFilter): string {
  const parts: string[] = [];
  if (rule.source !== undefined) parts.push(`source ${rule.source}`);
  if (rule.entityTypes) parts.push(`entity type in ${rule.entityTypes.join(', ')}`);
  if (rule.actions) parts.push(`action in ${rule.actions.join(', ')}`);
  for (const condition of rule.conditions ?? []) parts.push(describeCondition(condition));
  return parts.join('; ');
}

function ruleHolds(rule: IngestFilter, eventId: string, event: NormalizedEvent): boolean {
  const { entityType, action } = typeParts(event.type.toLowerCase());
  if (rule.source !== undefined && rule.source !== event.source.toLowerCase()) return false;
  if (rule.entityTypes && !rule.entityTypes.includes(entityType)) return false;
  if (rule.actions && !rule.actions.includes(action)) return false;
  return (rule.conditions ?? []).every((condition) => conditionHolds(condition, { id: eventId, event }));
}

/** The first rule that filters this event, or undefined when it goes on to SOP matching. */
export function matchIngestFilter(
  rules: readonly IngestFilter[],
  eventId: string,
  event: NormalizedEvent,
): FilterMatch | undefined {
  const rule = rules.find((r) => ruleHolds(r, eventId, event));
  return rule ? { name: rule.name, description: describeFilter(rule) } : undefined;
}

/**
 * The rules stored on a webhook row (JSON). A row written by an older version has none; a value
 * that no longer parses is treated as none, so a bad row lets events through rather than drop them.
 */
export function parseStoredFilters(json: string | undefined): IngestFilter[] {
  if (!json) return [];
  try {
    const parsed = ingestFiltersSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}
