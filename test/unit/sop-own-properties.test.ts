import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors/domain-error';
import type { NormalizedEvent } from '../../shared/events/contract';
import { sopBody } from '../../shared/sops/api-schemas';
import { conditionHolds } from '../../shared/sops/conditions';
import { resolvePath } from '../../shared/sops/event-context';
import { renderArgument, TemplateError } from '../../shared/sops/template';
import { validateSop } from '../../shared/sops/validate';

/**
 * SOP templates and conditions reach own enumerable data properties only: the names that lead to
 * an object's machinery (`constructor`, `__proto__`, `prototype`, …) resolve to nothing, whether
 * inherited or — as JSON can deliver them — own keys.
 */

const RESERVED = [
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
];

const event: NormalizedEvent = {
  source: 'generic',
  type: 'alert.triggered',
  subject: 'Disk full',
  severity: 'high',
  entities: {},
  keywords: ['disk_full'],
  fields: {},
  occurredAt: '2026-01-01T00:00:00.000Z',
};
const noEntities = { id: 'EVT1', event };

// What validation stores when a payload carries such names as its own keys.
const hostile: NormalizedEvent = {
  ...event,
  entities: JSON.parse('{"__proto__":"p","constructor":"c","prototype":"x","ticketId":"7"}') as Record<string, string>,
  fields: JSON.parse(
    '{"constructor":"c","data.__proto__":"p","a.prototype.b":1,"ok":"yes"}',
  ) as NormalizedEvent['fields'],
};
const withHostileKeys = { id: 'EVT2', event: hostile };

describe('templates see own data only', () => {
  it.each(RESERVED)('{{event.entities.%s}} has no value (inherited)', (name) => {
    expect(resolvePath(noEntities, `event.entities.${name}`)).toBeUndefined();
    expect(resolvePath(noEntities, `event.fields.${name}`)).toBeUndefined();
    expect(() => renderArgument(`{{event.entities.${name}}}`, noEntities)).toThrow(TemplateError);
    expect(() => renderArgument(`x {{event.fields.${name}}} y`, noEntities)).toThrow(/has no value/);
  });

  it('own keys named __proto__, constructor or prototype (from JSON) resolve to nothing either', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      expect(resolvePath(withHostileKeys, `event.entities.${name}`)).toBeUndefined();
    }
    expect(resolvePath(withHostileKeys, 'event.fields.constructor')).toBeUndefined();
    expect(resolvePath(withHostileKeys, 'event.fields.data.__proto__')).toBeUndefined();
    expect(resolvePath(withHostileKeys, 'event.fields.a.prototype.b')).toBeUndefined();
    // Ordinary data beside them is untouched.
    expect(renderArgument('{{event.entities.ticketId}}', withHostileKeys)).toBe('7');
    expect(renderArgument('{{event.fields.ok}}', withHostileKeys)).toBe('yes');
  });

  it('never renders a function or an object', () => {
    const rendered = (() => {
      try {
        return String(renderArgument('{{event.entities.constructor}}', noEntities));
      } catch {
        return '';
      }
    })();
    expect(rendered).not.toMatch(/function|native code|\[object/);
  });
});

describe('conditions see own data only', () => {
  it.each(RESERVED)('"event.entities.%s exists" does not hold for an event without entities', (name) => {
    expect(conditionHolds({ field: `event.entities.${name}`, op: 'exists' }, noEntities)).toBe(false);
    expect(conditionHolds({ field: `event.entities.${name}`, op: 'not_exists' }, noEntities)).toBe(true);
    expect(conditionHolds({ field: `event.fields.${name}`, op: 'exists' }, noEntities)).toBe(false);
    expect(conditionHolds({ field: `event.entities.${name}`, op: 'contains', value: 'function' }, noEntities)).toBe(
      false,
    );
  });

  it('own reserved keys do not satisfy exists, eq or contains', () => {
    expect(conditionHolds({ field: 'event.entities.constructor', op: 'exists' }, withHostileKeys)).toBe(false);
    expect(conditionHolds({ field: 'event.entities.__proto__', op: 'eq', value: 'p' }, withHostileKeys)).toBe(false);
    expect(conditionHolds({ field: 'event.fields.constructor', op: 'contains', value: 'c' }, withHostileKeys)).toBe(
      false,
    );
  });

  it('severity order does not treat inherited names as ranks', () => {
    expect(conditionHolds({ field: 'event.severity', op: 'gte', value: 'constructor' }, noEntities)).toBe(false);
    expect(conditionHolds({ field: 'event.severity', op: 'eq', value: 'toString' }, noEntities)).toBe(false);
    expect(conditionHolds({ field: 'event.severity', op: 'gte', value: 'medium' }, noEntities)).toBe(true);
  });
});

describe('SOP validation', () => {
  it('an argument named like an Object member is an unknown argument, not a crash', () => {
    const input = sopBody.parse({
      name: 'x',
      match: { source: 'generic' },
      steps: [
        { tool: 'itglue.organization.lookup', args: JSON.parse('{"name":"Contoso","constructor":"x","toString":"y"}') },
      ],
    });
    let error: unknown;
    try {
      validateSop(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = ((error as ValidationError).details.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['body.steps.0.args.constructor', 'body.steps.0.args.toString']);
  });
});
