import { z } from 'zod';
import { type ContextValue, type EventContext, pathProblem, resolvePath } from './event-context';

/**
 * Field conditions, used by SOP match rules and by step conditions: a path, an operator and a
 * value. Comparison is deterministic and never evaluates code: no regular expressions (a SOP author
 * could write one that never finishes), just equality, membership, substring and order.
 */
export const CONDITION_OPS = ['eq', 'neq', 'in', 'contains', 'exists', 'not_exists', 'gt', 'gte', 'lt', 'lte'] as const;

const scalar = z.union([z.string().max(500), z.number(), z.boolean()]);

export const conditionSchema = z
  .strictObject({
    field: z.string().min(1).max(200).meta({ example: 'event.severity' }),
    op: z.enum(CONDITION_OPS),
    value: z.union([scalar, z.array(scalar).max(50)]).optional(),
  })
  .superRefine((condition, ctx) => {
    const problem = pathProblem(condition.field);
    if (problem) ctx.addIssue({ code: 'custom', path: ['field'], message: problem });
    const needsValue = condition.op !== 'exists' && condition.op !== 'not_exists';
    if (needsValue && condition.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op "${condition.op}" needs a value` });
    }
    if (condition.op === 'in' && !Array.isArray(condition.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'op "in" needs a list of values' });
    }
  })
  .meta({ id: 'Condition' });
export type Condition = z.infer<typeof conditionSchema>;

function same(actual: ContextValue, expected: string | number | boolean): boolean {
  if (actual === null) return false;
  if (typeof expected === 'string' && typeof actual === 'string')
    return actual.toLowerCase() === expected.toLowerCase();
  return String(actual) === String(expected);
}

function order(actual: ContextValue, expected: string | number | boolean): number | undefined {
  const a = typeof actual === 'number' ? actual : Number(actual);
  const b = typeof expected === 'number' ? expected : Number(expected);
  if (actual === null || actual === '' || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return a - b;
}

/** Severity is ordered: `event.severity gte high` means high or critical. */
const SEVERITY_RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export function conditionHolds(condition: Condition, context: EventContext): boolean {
  let actual = resolvePath(context, condition.field);
  let expected = condition.value;
  if (condition.op === 'exists') return actual !== undefined && actual !== null && actual !== '';
  if (condition.op === 'not_exists') return actual === undefined || actual === null || actual === '';
  if (actual === undefined || expected === undefined) return condition.op === 'neq';
  if (condition.field === 'event.severity' && typeof expected === 'string' && Object.hasOwn(SEVERITY_RANK, expected)) {
    actual = Object.hasOwn(SEVERITY_RANK, String(actual)) ? SEVERITY_RANK[String(actual)]! : null;
    expected = SEVERITY_RANK[expected]!;
  }
  const one = Array.isArray(expected) ? expected[0] : expected;
  switch (condition.op) {
    case 'eq':
      return one !== undefined && same(actual, one);
    case 'neq':
      return one === undefined || !same(actual, one);
    case 'in':
      return (Array.isArray(expected) ? expected : [expected]).some((value) => same(actual, value));
    case 'contains':
      return one !== undefined && String(actual).toLowerCase().includes(String(one).toLowerCase());
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const diff = one === undefined ? undefined : order(actual, one);
      if (diff === undefined) return false;
      return condition.op === 'gt'
        ? diff > 0
        : condition.op === 'gte'
          ? diff >= 0
          : condition.op === 'lt'
            ? diff < 0
            : diff <= 0;
    }
  }
}

export function describeCondition(condition: Condition): string {
  const value = condition.value === undefined ? '' : ` ${JSON.stringify(condition.value)}`;
  return `${condition.field} ${condition.op}${value}`;
}
