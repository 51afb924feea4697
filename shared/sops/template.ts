import { type ContextValue, type EventContext, pathProblem, resolvePath } from './event-context';

/**
 * SOP argument templates: text with `{{ path }}` placeholders (paths from event-context.ts), e.g.
 * `Disk full on {{event.entities.deviceName}}`. Nothing is evaluated: a placeholder is a path
 * lookup and nothing else, so a SOP cannot run code. An argument that is exactly one placeholder
 * keeps the value's type (a number stays a number); anything else renders to text.
 */

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'ref'; path: string };

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ kind: 'text', text: template.slice(last, match.index) });
    const path = match[1] ?? '';
    const problem = pathProblem(path);
    if (problem) throw new TemplateError(problem);
    parts.push({ kind: 'ref', path });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });
  for (const part of parts) {
    if (part.kind === 'text' && (part.text.includes('{{') || part.text.includes('}}'))) {
      throw new TemplateError(`unbalanced braces in "${template}": placeholders look like {{event.subject}}`);
    }
  }
  return parts;
}

/** A SOP argument value: text (maybe templated), or a literal number/boolean. */
export type ArgumentValue = string | number | boolean;

export function renderArgument(value: ArgumentValue, context: EventContext): ContextValue {
  if (typeof value !== 'string') return value;
  const parts = parseTemplate(value);
  const lookup = (path: string): ContextValue => {
    const found = resolvePath(context, path);
    if (found === undefined) throw new TemplateError(`{{${path}}} has no value for this event`);
    return found;
  };
  if (parts.length === 1 && parts[0]!.kind === 'ref') return lookup(parts[0]!.path);
  return parts.map((part) => (part.kind === 'text' ? part.text : String(lookup(part.path) ?? ''))).join('');
}

export function renderArguments(
  args: Record<string, ArgumentValue>,
  context: EventContext,
): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (const [name, value] of Object.entries(args)) {
    try {
      out[name] = renderArgument(value, context);
    } catch (error) {
      if (error instanceof TemplateError) throw new TemplateError(`argument "${name}": ${error.message}`);
      throw error;
    }
  }
  return out;
}

export function isTemplated(value: ArgumentValue): boolean {
  return typeof value === 'string' && parseTemplate(value).some((part) => part.kind === 'ref');
}
