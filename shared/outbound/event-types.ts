import { z } from 'zod';
import { DomainError } from '../errors/domain-error';

/**
 * The events the hub publishes to subscribers: each type has a data schema (validated on publish,
 * shown as JSON Schema by `GET /api/v1/event-types`) and an example. A type is `<product>.<verb>`;
 * a subscription may name a type, a product wildcard (`ticket.*`) or everything (`*`).
 */
const companyRef = z.object({ id: z.string().min(1).max(200), name: z.string().max(500).optional() });

const EVENT_TYPES = {
  'ticket.created': {
    description: 'A ticket was created in a PSA (Autotask, Halo PSA) or by the hub.',
    data: z.object({
      ticketId: z.string().min(1).max(200),
      title: z.string().max(1000),
      priority: z.enum(['low', 'medium', 'high', 'critical']).optional(),
      company: companyRef.optional(),
      url: z.url().optional(),
    }),
    example: {
      ticketId: 'T20260101.0042',
      title: 'Backup failed on SRV-FS01',
      priority: 'high',
      company: { id: '29684', name: 'Contoso Dental' },
    },
  },
  'alert.triggered': {
    description: 'A monitoring or security alert fired (Datto RMM, Datto EDR, UniFi, Microsoft 365).',
    data: z.object({
      alertId: z.string().min(1).max(200),
      severity: z.enum(['info', 'low', 'moderate', 'high', 'critical']),
      message: z.string().max(2000),
      deviceId: z.string().max(200).optional(),
      company: companyRef.optional(),
    }),
    example: {
      alertId: 'a1b2c3',
      severity: 'critical',
      message: 'Disk C: below 5% free',
      deviceId: 'dev-778',
      company: { id: '29684', name: 'Contoso Dental' },
    },
  },
  'company.updated': {
    description: 'A company (customer) record changed in a connected system.',
    data: z.object({
      companyId: z.string().min(1).max(200),
      name: z.string().max(500),
      changedFields: z.array(z.string().max(100)).max(100),
    }),
    example: { companyId: '29684', name: 'Contoso Dental', changedFields: ['phone', 'address'] },
  },
  'company.created': {
    description: 'Entity sync found a company no product had linked before (docs/entity-sync.md).',
    data: z.object({ companyId: z.string().min(1).max(200), name: z.string().max(500) }),
    example: { companyId: 'c1f2e3d4c5b6a7980a1b2c3d4', name: 'Contoso Dental' },
  },
  'invoice.created': {
    description: 'An invoice was created (Pax8, PSA billing).',
    data: z.object({
      invoiceId: z.string().min(1).max(200),
      company: companyRef.optional(),
      total: z.number().finite(),
      currency: z.string().regex(/^[A-Z]{3}$/),
      dueDate: z.iso.date().optional(),
    }),
    example: {
      invoiceId: 'INV-1001',
      company: { id: '29684', name: 'Contoso Dental' },
      total: 1249.5,
      currency: 'USD',
      dueDate: '2026-02-01',
    },
  },
  'company.deleted': {
    description: 'Entity sync found that no product holds a company any more (docs/entity-sync.md).',
    data: z.object({ companyId: z.string().min(1).max(200), name: z.string().max(500) }),
    example: { companyId: 'c1f2e3d4c5b6a7980a1b2c3d4', name: 'Contoso Dental' },
  },
  'contact.created': {
    description: 'Entity sync found a contact no product had linked before (docs/entity-sync.md).',
    data: z.object({
      contactId: z.string().min(1).max(200),
      name: z.string().max(500),
      companyId: z.string().max(200).meta({ description: 'The canonical company; empty when none is linked.' }),
    }),
    example: { contactId: 'p0a1b2c3d4e5f60718293a4b5', name: 'Ada Lovelace', companyId: 'c1f2e3d4c5b6a7980a1b2c3d4' },
  },
  'contact.updated': {
    description: 'A canonical contact changed: a product changed it, a conflict was resolved or a link went away.',
    data: z.object({
      contactId: z.string().min(1).max(200),
      name: z.string().max(500),
      companyId: z.string().max(200),
      changedFields: z.array(z.string().max(100)).max(100),
    }),
    example: {
      contactId: 'p0a1b2c3d4e5f60718293a4b5',
      name: 'Ada Lovelace',
      companyId: 'c1f2e3d4c5b6a7980a1b2c3d4',
      changedFields: ['email'],
    },
  },
  'contact.deleted': {
    description: 'Entity sync found that no product holds a contact any more (docs/entity-sync.md).',
    data: z.object({
      contactId: z.string().min(1).max(200),
      name: z.string().max(500),
      companyId: z.string().max(200),
    }),
    example: { contactId: 'p0a1b2c3d4e5f60718293a4b5', name: 'Ada Lovelace', companyId: 'c1f2e3d4c5b6a7980a1b2c3d4' },
  },
} as const;

export type EventType = keyof typeof EVENT_TYPES;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as [EventType, ...EventType[]];
export const eventTypeSchema = z.enum(EVENT_TYPE_NAMES);

/** Product wildcards (`ticket.*` …) and `*`, derived from the catalogue so they cannot drift. */
export const EVENT_TYPE_PATTERNS: string[] = [
  '*',
  ...[...new Set(EVENT_TYPE_NAMES.map((t) => `${t.split('.')[0]}.*`))],
  ...EVENT_TYPE_NAMES,
];

export const eventTypePatternSchema = z
  .string()
  .refine((v) => EVENT_TYPE_PATTERNS.includes(v), { message: `must be one of ${EVENT_TYPE_PATTERNS.join(', ')}` });

/** Whether a subscription pattern covers an event type. */
export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** Largest serialized `data` accepted: one Table Storage string property, with room to spare. */
export const MAX_EVENT_DATA_CHARS = 24 * 1024;

/** The event's data checked against its type's schema; `validation_failed` names each field. */
export function validateEventData(type: EventType, data: unknown): Record<string, unknown> {
  const result = EVENT_TYPES[type].data.safeParse(data);
  if (!result.success) {
    throw new DomainError('validation_failed', `The data is not a valid ${type} event.`, {
      errors: result.error.issues.map((i) => ({ path: ['data', ...i.path].join('.'), message: i.message })),
    });
  }
  const text = JSON.stringify(result.data);
  if (text.length > MAX_EVENT_DATA_CHARS) {
    throw new DomainError('validation_failed', `The event data is larger than ${MAX_EVENT_DATA_CHARS} characters.`, {
      errors: [{ path: 'data', message: `at most ${MAX_EVENT_DATA_CHARS} characters of JSON` }],
    });
  }
  return result.data as Record<string, unknown>;
}

export interface EventTypeView {
  type: EventType;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

export function listEventTypes(): EventTypeView[] {
  return EVENT_TYPE_NAMES.map((type) => ({
    type,
    description: EVENT_TYPES[type].description,
    schema: z.toJSONSchema(EVENT_TYPES[type].data) as Record<string, unknown>,
    example: EVENT_TYPES[type].example as Record<string, unknown>,
  }));
}
