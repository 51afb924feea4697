import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../shared/events/contract';
import {
  ingestFiltersSchema,
  MAX_INGEST_FILTERS,
  matchIngestFilter,
  parseStoredFilters,
  typeParts,
} from '../../shared/inbound/ingest-filter';

/** Ingest filters: the schema a webhook stores them under, and which rule drops which event. */
const ticketUpdated: NormalizedEvent = {
  source: 'autotask',
  type: 'ticket.updated',
  subject: 'Printer jam',
  severity: 'low',
  entities: { ticketId: '7' },
  keywords: ['printer'],
  fields: { 'Fields.Status': 5, 'Fields.QueueID': 'noise' },
  occurredAt: '2025-01-01T00:00:00.000Z',
};

describe('ingest filter schema', () => {
  it('takes source, entity types, actions and SOP conditions', () => {
    const parsed = ingestFiltersSchema.safeParse([
      {
        name: 'closed tickets',
        source: 'autotask',
        entityTypes: ['ticket'],
        actions: ['updated'],
        conditions: [{ field: 'event.fields.Fields.Status', op: 'eq', value: 5 }],
      },
    ]);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('refuses a rule without criteria, a duplicate name, a bad condition path and more than the cap', () => {
    expect(ingestFiltersSchema.safeParse([{ name: 'everything' }]).success).toBe(false);
    expect(
      ingestFiltersSchema.safeParse([
        { name: 'a', source: 'autotask' },
        { name: 'a', source: 'halopsa' },
      ]).success,
    ).toBe(false);
    expect(
      ingestFiltersSchema.safeParse([{ name: 'x', conditions: [{ field: 'payload.secret', op: 'exists' }] }]).success,
    ).toBe(false);
    const many = Array.from({ length: MAX_INGEST_FILTERS + 1 }, (_, i) => ({ name: `r${i}`, source: 'autotask' }));
    expect(ingestFiltersSchema.safeParse(many).success).toBe(false);
    expect(ingestFiltersSchema.safeParse(many.slice(1)).success).toBe(true);
  });
});

describe('matchIngestFilter', () => {
  it('splits an event type into entity type and action', () => {
    expect(typeParts('ticket.updated')).toEqual({ entityType: 'ticket', action: 'updated' });
    expect(typeParts('pax8.subscription.created')).toEqual({ entityType: 'pax8', action: 'created' });
  });

  it('the first rule whose criteria all hold filters the event', () => {
    const rules = ingestFiltersSchema.parse([
      { name: 'halo only', source: 'halopsa' },
      { name: 'creates', entityTypes: ['ticket'], actions: ['created'] },
      {
        name: 'noise queue',
        source: 'autotask',
        conditions: [{ field: 'event.fields.Fields.QueueID', op: 'eq', value: 'noise' }],
      },
      { name: 'any update', actions: ['updated'] },
    ]);
    const match = matchIngestFilter(rules, 'e1', ticketUpdated);
    expect(match?.name).toBe('noise queue');
    expect(match?.description).toContain('event.fields.Fields.QueueID eq "noise"');
  });

  it('lets the event through when no rule holds', () => {
    const rules = ingestFiltersSchema.parse([
      { name: 'severity low and closed', conditions: [{ field: 'event.fields.Fields.Status', op: 'eq', value: 6 }] },
    ]);
    expect(matchIngestFilter(rules, 'e1', ticketUpdated)).toBeUndefined();
    expect(matchIngestFilter([], 'e1', ticketUpdated)).toBeUndefined();
  });

  it('a stored value that no longer parses filters nothing (events go through, never dropped by mistake)', () => {
    expect(parseStoredFilters(undefined)).toEqual([]);
    expect(parseStoredFilters('not json')).toEqual([]);
    expect(parseStoredFilters(JSON.stringify([{ name: 'x' }]))).toEqual([]);
    expect(parseStoredFilters(JSON.stringify([{ name: 'x', source: 'autotask' }]))).toHaveLength(1);
  });
});
