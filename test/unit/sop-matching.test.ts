import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors/domain-error';
import type { NormalizedEvent } from '../../shared/events/contract';
import { type SopInput, sopBody } from '../../shared/sops/api-schemas';
import { conditionHolds } from '../../shared/sops/conditions';
import { type MatchableSop, matchSops } from '../../shared/sops/match';
import { parseTemplate, renderArgument, renderArguments, TemplateError } from '../../shared/sops/template';
import { validateSop } from '../../shared/sops/validate';
import { listTools, toolView } from '../../shared/tools/catalog';

const event: NormalizedEvent = {
  source: 'autotask',
  type: 'ticket.created',
  subject: 'Disk full on SRV01',
  severity: 'high',
  entities: { ticketId: '123', companyId: '9' },
  keywords: ['disk_full', 'srv01'],
  fields: { 'ticket.priority': 2, 'ticket.queue': 'Monitoring', 'ticket.isVip': false },
  occurredAt: '2026-01-01T00:00:00.000Z',
};
const ctx = { id: 'EVT1', event };

function sop(id: string, match: Partial<MatchableSop['match']>, name = id): MatchableSop {
  return { id, name, match: { priority: 100, ...match } };
}

describe('templates', () => {
  it('renders placeholders by path and keeps the type of a lone placeholder', () => {
    expect(renderArgument('{{event.entities.ticketId}}', ctx)).toBe('123');
    expect(renderArgument('{{ event.fields.ticket.priority }}', ctx)).toBe(2);
    expect(renderArgument('{{event.fields.ticket.isVip}}', ctx)).toBe(false);
    expect(renderArgument('Seen: {{event.subject}} ({{event.severity}}, {{event.keywords}})', ctx)).toBe(
      'Seen: Disk full on SRV01 (high, disk_full, srv01)',
    );
    expect(renderArgument(5, ctx)).toBe(5);
  });

  it('refuses paths outside the event vocabulary and unbalanced braces, and never evaluates', () => {
    expect(() => parseTemplate('{{process.env.SECRET}}')).toThrow(TemplateError);
    expect(() => parseTemplate('{{event.constructor}}')).toThrow(/unknown/);
    expect(() => parseTemplate('{{event.entities}}')).toThrow(/name a member/);
    expect(() => parseTemplate('{{event.subject')).toThrow(/unbalanced/);
    expect(() => parseTemplate('{{ 1 + 1 }}')).toThrow(TemplateError);
  });

  it('names the argument and path when the event lacks a value', () => {
    expect(() => renderArguments({ ticketId: '{{event.entities.deviceId}}' }, ctx)).toThrow(
      'argument "ticketId": {{event.entities.deviceId}} has no value for this event',
    );
  });
});

describe('conditions', () => {
  it('compares case-insensitively, by number, by list and by severity order', () => {
    expect(conditionHolds({ field: 'event.fields.ticket.queue', op: 'eq', value: 'monitoring' }, ctx)).toBe(true);
    expect(conditionHolds({ field: 'event.fields.ticket.priority', op: 'lte', value: 2 }, ctx)).toBe(true);
    expect(conditionHolds({ field: 'event.fields.ticket.priority', op: 'gt', value: '2' }, ctx)).toBe(false);
    expect(conditionHolds({ field: 'event.type', op: 'in', value: ['alert.triggered', 'ticket.created'] }, ctx)).toBe(
      true,
    );
    expect(conditionHolds({ field: 'event.severity', op: 'gte', value: 'medium' }, ctx)).toBe(true);
    expect(conditionHolds({ field: 'event.severity', op: 'gte', value: 'critical' }, ctx)).toBe(false);
    expect(conditionHolds({ field: 'event.entities.deviceId', op: 'exists' }, ctx)).toBe(false);
    expect(conditionHolds({ field: 'event.entities.deviceId', op: 'neq', value: 'x' }, ctx)).toBe(true);
    expect(conditionHolds({ field: 'event.subject', op: 'contains', value: 'DISK' }, ctx)).toBe(true);
  });
});

describe('matching', () => {
  it('matches on source, type pattern and a keyword found in the subject, ignoring _ vs space', () => {
    const outcome = matchSops(
      [sop('A', { source: 'autotask', eventTypes: ['ticket.*'], keywords: ['Disk Full'] })],
      'EVT1',
      event,
    );
    expect(outcome.matched).toEqual({ sopId: 'A', name: 'A', score: 1, missed: [] });
  });

  it('prefers priority, then specificity, then the oldest SOP, whatever the input order', () => {
    const sops = [
      sop('B', { source: 'autotask' }),
      sop('C', { source: 'autotask', keywords: ['disk_full'] }),
      sop('Z', { source: 'autotask', keywords: ['disk_full'] }),
      sop('D', { source: 'autotask', priority: 50, keywords: ['disk_full'], eventTypes: ['ticket.created'] }),
    ];
    for (const order of [sops, [...sops].reverse()]) {
      // Ids are newest-first, so 'Z' (greater) is the older of the two equally specific SOPs.
      expect(matchSops(order, 'EVT1', event).matched?.sopId).toBe('Z');
    }
    expect(matchSops([sop('P', { source: 'autotask', priority: 200 }), ...sops], 'EVT1', event).matched?.sopId).toBe(
      'P',
    );
  });

  it('records the closest candidates with scores and what they missed when nothing matches', () => {
    const outcome = matchSops(
      [
        sop('X', { source: 'autotask', keywords: ['printer'] }, 'Printer jam'),
        sop('Y', { source: 'halopsa', eventTypes: ['alert.*'], keywords: ['printer'] }, 'Halo alerts'),
        sop('W', {
          source: 'autotask',
          eventTypes: ['ticket.created'],
          conditions: [{ field: 'event.severity', op: 'eq', value: 'critical' }],
        }),
      ],
      'EVT1',
      event,
    );
    expect(outcome.matched).toBeNull();
    expect(outcome.candidates.map((c) => [c.sopId, c.score])).toEqual([
      ['W', 0.67],
      ['X', 0.5],
      ['Y', 0],
    ]);
    expect(outcome.candidates[0]!.missed).toEqual(['event.severity eq "critical" does not hold']);
    expect(outcome.candidates[1]!.missed).toEqual(['none of the keywords "printer" appears']);
  });
});

describe('SOP validation against the tool catalog', () => {
  const base = (steps: unknown[]): SopInput =>
    sopBody.parse({ name: 'Disk full', match: { source: 'autotask', keywords: ['disk_full'] }, steps });

  it('accepts templated and literal arguments that fit the tool', () => {
    expect(() =>
      validateSop(
        base([
          {
            tool: 'autotask.ticket.add_note',
            args: { ticketId: '{{event.entities.ticketId}}', description: 'Seen: {{event.subject}}', publish: 2 },
          },
        ]),
      ),
    ).not.toThrow();
  });

  it('names every problem: unknown tool, unknown and missing arguments, bad literals, bad placeholders', () => {
    let error: unknown;
    try {
      validateSop(
        base([
          { tool: 'autotask.ticket.delete', args: {} },
          { tool: 'autotask.ticket.add_note', args: { ticketId: 'abc', colour: 'red', title: '{{event.nope}}' } },
        ]),
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).details.errors as { path: string; message: string }[];
    expect(paths.map((e) => e.path).sort()).toEqual([
      'body.steps.0.tool',
      'body.steps.1.args.colour',
      'body.steps.1.args.description',
      'body.steps.1.args.ticketId',
      'body.steps.1.args.title',
    ]);
  });

  it('refuses match rules that would match everything', () => {
    expect(
      sopBody.safeParse({ name: 'x', match: {}, steps: [{ tool: 'itglue.organization.lookup', args: {} }] }).success,
    ).toBe(false);
  });
});

describe('tool catalog', () => {
  it('lists the required tools with JSON argument schemas; IT Glue only reads; writes that change a customer environment wait for approval', () => {
    const ids = listTools().map((t) => t.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'autotask.ticket.add_note',
        'autotask.ticket.update_status',
        'halopsa.ticket.add_action',
        'datto-rmm.device.run_quick_job',
        'datto-edr.host.isolate',
        'unifi.device.restart',
        'itglue.organization.lookup',
        'microsoft365.user.lookup',
      ]),
    );
    for (const tool of listTools()) {
      if (tool.vendor === 'itglue') expect(tool.writes).toBe(false);
      // Microsoft 365 lifecycle writes change a customer's environment (docs/tools.md).
      if (tool.vendor === 'microsoft365' && tool.writes) expect(tool.alwaysRequiresApproval).toBe(true);
    }
    expect(
      listTools()
        .filter((t) => t.alwaysRequiresApproval)
        .map((t) => t.id)
        .sort(),
    ).toEqual([
      'datto-edr.host.isolate',
      'itglue.password.reveal',
      'microsoft365.license.assign',
      'microsoft365.license.remove',
      'microsoft365.user.block_sign_in',
      'microsoft365.user.reset_password',
      'pax8.order.place',
      'pax8.subscription.set_quantity',
      'unifi.firewall.set_enabled',
    ]);
    const note = toolView(listTools().find((t) => t.id === 'autotask.ticket.add_note')!);
    expect(note.argumentsSchema).toMatchObject({
      type: 'object',
      required: ['ticketId', 'description'],
      additionalProperties: false,
    });
  });
});
