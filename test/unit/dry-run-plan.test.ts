import { describe, expect, it } from 'vitest';
import {
  planFilter,
  planMatching,
  planSteps,
  planValidation,
  SAMPLE_EVENT_ID,
  verdictOf,
} from '../../shared/dry-run/plan';
import { samplePayload } from '../../shared/dry-run/samples';
import { ingestFiltersSchema } from '../../shared/inbound/ingest-filter';
import { stepSchema } from '../../shared/sops/api-schemas';
import { VENDOR_IDS } from '../../shared/vendors/contract';

/** The dry run's planning, pure: the stages' own functions over given values. */
const AT = '2025-01-01T00:00:00.000Z';

describe('samples', () => {
  it('every vendor and the generic source has an example the validation stage accepts', () => {
    for (const source of [...VENDOR_IDS, 'generic']) {
      const { validation } = planValidation(source, samplePayload(source), AT);
      expect(validation.ok, `${source}: ${validation.error}`).toBe(true);
    }
  });
});

describe('planning', () => {
  const { event } = planValidation('autotask', samplePayload('autotask'), AT);
  const sops = [
    {
      id: 'sop-b',
      name: 'Disk full',
      match: { source: 'autotask' as const, eventTypes: ['ticket.*'], keywords: ['disk_full'], priority: 100 },
    },
    { id: 'sop-a', name: 'Halo', match: { source: 'halopsa' as const, priority: 100 } },
  ];
  const steps = [
    {
      tool: 'autotask.ticket.add_note',
      args: { ticketId: '{{event.entities.ticketId}}', description: 'Saw {{event.subject}}' },
    },
    {
      tool: 'autotask.ticket.add_note',
      args: { ticketId: '1', description: 'x' },
      condition: { field: 'event.severity', op: 'eq', value: 'low' },
    },
    { tool: 'datto-edr.host.isolate', args: { agentId: 'agent-1' } },
    { tool: 'autotask.ticket.add_note', args: { ticketId: '{{event.entities.nothing}}', description: 'x' } },
  ].map((s) => stepSchema.parse(s));

  it('matches, renders each step, marks skips, approvals and broken templates', () => {
    expect(event).toBeDefined();
    const matching = planMatching(sops, SAMPLE_EVENT_ID, event!);
    expect(matching.matched?.sopId).toBe('sop-b');
    expect(matching.matched?.score).toBe(1);
    const planned = planSteps({
      eventId: SAMPLE_EVENT_ID,
      event: event!,
      sopName: 'Disk full',
      steps,
      integrations: [
        { id: 'int-at', vendor: 'autotask' },
        { id: 'int-at', vendor: 'autotask' },
        { id: 'int-edr', vendor: 'datto-edr' },
        { id: 'int-at', vendor: 'autotask' },
      ],
    });
    expect(planned.map((s) => s.status)).toEqual(['would_run', 'would_skip', 'needs_approval', 'would_fail']);
    expect(planned[0]!.args).toMatchObject({ ticketId: 1001, description: 'Saw Sample: disk_full on SRV-01' });
    expect(planned[0]!.integrationId).toBe('int-at');
    expect(planned[2]!.approvalReason).toContain('always needs an approval');
    expect(planned[3]!.errorType).toBe('tool_execution_error');
    const verdict = verdictOf({
      validation: { ok: true, event: event!, error: null },
      filter: null,
      matching,
      steps: planned,
      sopName: 'Disk full',
    });
    expect(verdict).toMatchObject({ outcome: 'awaiting_approval', stopsAtStep: 2 });
  });

  it('a missing integration fails the step as integration_missing', () => {
    const planned = planSteps({
      eventId: SAMPLE_EVENT_ID,
      event: event!,
      sopName: 'x',
      steps: steps.slice(0, 1),
      integrations: [null],
    });
    expect(planned[0]).toMatchObject({ status: 'would_fail', errorType: 'integration_missing' });
  });

  it('a filter that applies ends the plan filtered; one that does not (a replay) is only reported', () => {
    const filters = ingestFiltersSchema.parse([{ name: 'tickets', entityTypes: ['ticket'] }]);
    const applied = planFilter(filters, SAMPLE_EVENT_ID, event!, true);
    const validation = { ok: true, event: event!, error: null };
    expect(verdictOf({ validation, filter: applied, matching: null, steps: [], sopName: null }).outcome).toBe(
      'filtered',
    );
    const reported = planFilter(filters, SAMPLE_EVENT_ID, event!, false);
    expect(reported.matched?.name).toBe('tickets');
    const matching = planMatching([], SAMPLE_EVENT_ID, event!);
    expect(verdictOf({ validation, filter: reported, matching, steps: [], sopName: null })).toMatchObject({
      outcome: 'failed',
      errorType: 'no_sop_matched',
    });
  });

  it('a payload the source cannot read fails validation', () => {
    const { validation } = planValidation('autotask', { nothing: true }, AT);
    expect(validation.ok).toBe(false);
    expect(verdictOf({ validation, filter: null, matching: null, steps: [], sopName: null })).toMatchObject({
      outcome: 'failed',
      stage: 'validation',
      errorType: 'validation_error',
    });
  });
});

describe('odd payloads', () => {
  it('every source answers a validation verdict for any JSON value, never throws', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 50; i++) {
      const next: Record<string, unknown> = {};
      at[`k${i}`] = next;
      at = next;
    }
    const payloads: unknown[] = [
      null,
      [],
      'text',
      42,
      true,
      {},
      { value: [] },
      { value: [{ changeType: 'x', resource: '' }] },
      { type: 5 },
      { type: 'a.b', entities: { x: { y: 1 } } },
      { Action: '', EntityType: 'Ticket', Id: {} },
      { webhookTopic: { topic: 7 } },
      { ticket: null, client: 1 },
      { __proto__: { polluted: true }, type: 'x.y' },
      deep,
    ];
    for (const source of [...VENDOR_IDS, 'generic']) {
      for (const payload of payloads) {
        const { validation } = planValidation(source, payload, AT);
        expect(typeof validation.ok, `${source} ${JSON.stringify(payload)}`).toBe('boolean');
      }
    }
  });
});
