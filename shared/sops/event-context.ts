import type { NormalizedEvent } from '../events/contract';

/**
 * What SOP templates and conditions can read: the normalised event, by dotted path. The paths are
 * a closed vocabulary (checked when a SOP is saved), so a typo fails at save time, not at 3 a.m.
 *
 *   event.id | event.source | event.type | event.subject | event.severity | event.occurredAt
 *   event.keywords            (the keywords joined with ", ")
 *   event.entities.<name>     (e.g. event.entities.ticketId)
 *   event.fields.<dotted>     (a flat payload field, e.g. event.fields.ticket.priority)
 */
export interface EventContext {
  id: string;
  event: NormalizedEvent;
}

export type ContextValue = string | number | boolean | null;

const SCALARS = ['id', 'source', 'type', 'subject', 'severity', 'occurredAt', 'keywords'] as const;
const MAPS = ['entities', 'fields'] as const;

const PATH = /^event\.[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9_$@-]+)*$/;

/** Why a path is not one the context offers, or undefined when it is. */
export function pathProblem(path: string): string | undefined {
  if (!PATH.test(path)) return `"${path}" is not a path like event.subject or event.entities.ticketId`;
  const [, member, ...rest] = path.split('.');
  if ((SCALARS as readonly string[]).includes(member!)) {
    return rest.length === 0 ? undefined : `event.${member} has no members`;
  }
  if ((MAPS as readonly string[]).includes(member!)) {
    return rest.length > 0 ? undefined : `name a member, e.g. event.${member}.<name>`;
  }
  return `event.${member} is unknown (use one of ${[...SCALARS, ...MAPS].map((m) => `event.${m}`).join(', ')})`;
}

/**
 * Names that reach an object's machinery rather than its data. JSON can carry them as own keys
 * (`{"__proto__": …}` parses to an own property), so besides the own-property check they are
 * refused by name: a template or condition sees vendor data, never the language's internals.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * A scalar stored under `key` as an own enumerable property of `map`, else undefined. Objects and
 * functions never come out, so nothing but plain data renders or compares.
 */
function ownScalar(map: Readonly<Record<string, unknown>>, key: string): ContextValue | undefined {
  if (key.split('.').some((segment) => RESERVED_NAMES.has(segment))) return undefined;
  if (!Object.hasOwn(map, key) || !Object.prototype.propertyIsEnumerable.call(map, key)) return undefined;
  const value = map[key];
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The value at `path`, or undefined when the event has none there. Paths are assumed checked. */
export function resolvePath(context: EventContext, path: string): ContextValue | undefined {
  const [, member, ...rest] = path.split('.');
  const event = context.event;
  switch (member) {
    case 'id':
      return context.id;
    case 'source':
      return event.source;
    case 'type':
      return event.type;
    case 'subject':
      return event.subject;
    case 'severity':
      return event.severity;
    case 'occurredAt':
      return event.occurredAt;
    case 'keywords':
      return event.keywords.join(', ');
    case 'entities':
      return ownScalar(event.entities, rest.join('.'));
    case 'fields':
      return ownScalar(event.fields, rest.join('.'));
    default:
      return undefined;
  }
}
