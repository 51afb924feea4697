import type { z } from 'zod';
import { ValidationError } from '../errors/domain-error';
import { findTool, listTools } from '../tools/catalog';
import type { SopInput } from './api-schemas';
import { isTemplated, parseTemplate, TemplateError } from './template';

/**
 * A SOP is checked against the tool catalog when it is saved: every step names a known tool,
 * passes only arguments that tool takes, gives every required one, and literal values already
 * satisfy the tool's schema. Templated values can only be checked when they are rendered (the
 * tool-call stage does), but their placeholders are checked here.
 */
/** A SOP's rules and steps are stored as one Table property (32K characters), with some margin. */
export const MAX_DEFINITION_CHARS = 30_000;

export function validateSop(input: SopInput): void {
  const errors: { path: string; message: string }[] = [];
  input.steps.forEach((step, index) => {
    const at = `body.steps.${index}`;
    const tool = findTool(step.tool);
    if (!tool) {
      errors.push({
        path: `${at}.tool`,
        message: `unknown tool "${step.tool}"; one of ${listTools()
          .map((t) => t.id)
          .join(', ')}`,
      });
      return;
    }
    const shape = tool.args.shape as Record<string, z.ZodType>;
    for (const [name, value] of Object.entries(step.args)) {
      // Own properties only: an argument named `constructor` must not find Object's.
      const field = Object.hasOwn(shape, name) ? shape[name] : undefined;
      if (!field) {
        errors.push({
          path: `${at}.args.${name}`,
          message: `${tool.id} takes no argument "${name}" (it takes ${Object.keys(shape).join(', ')})`,
        });
        continue;
      }
      try {
        if (isTemplated(value)) continue;
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        errors.push({ path: `${at}.args.${name}`, message: error.message });
        continue;
      }
      const parsed = field.safeParse(typeof value === 'string' ? literalText(value) : value);
      if (!parsed.success) {
        errors.push({ path: `${at}.args.${name}`, message: parsed.error.issues[0]?.message ?? 'invalid value' });
      }
    }
    for (const [name, field] of Object.entries(shape)) {
      if (!Object.hasOwn(step.args, name) && !field.safeParse(undefined).success) {
        errors.push({ path: `${at}.args.${name}`, message: `${tool.id} needs argument "${name}"` });
      }
    }
  });
  const size = JSON.stringify({ match: input.match, steps: input.steps }).length;
  if (size > MAX_DEFINITION_CHARS) {
    errors.push({
      path: 'body',
      message: `the match rules and steps take ${size} characters; at most ${MAX_DEFINITION_CHARS} fit in one SOP`,
    });
  }
  if (errors.length > 0) {
    throw new ValidationError(
      `The SOP does not fit the tool catalog: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    );
  }
}

/**
 * Steps that name an integration must name one of the caller's, of the tool's vendor: a typo here
 * would otherwise only show when an event runs the step (`integration_missing` at tool call).
 * `vendorOf` answers the integration's vendor, or undefined when the tenant has no such integration.
 */
export async function validateIntegrations(
  input: SopInput,
  vendorOf: (integrationId: string) => Promise<string | undefined>,
): Promise<void> {
  const errors: { path: string; message: string }[] = [];
  for (const [index, step] of input.steps.entries()) {
    if (!step.integrationId) continue;
    const tool = findTool(step.tool);
    const vendor = await vendorOf(step.integrationId);
    const path = `body.steps.${index}.integrationId`;
    if (vendor === undefined) {
      errors.push({ path, message: `no integration "${step.integrationId}" exists in this tenant` });
    } else if (tool && vendor !== tool.vendor) {
      errors.push({
        path,
        message: `integration "${step.integrationId}" is a ${vendor} integration; ${tool.id} needs a ${tool.vendor} one`,
      });
    }
  }
  if (errors.length > 0) {
    throw new ValidationError(
      `The SOP names integrations it cannot use: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    );
  }
}

/** A literal (placeholder-free) text argument as the tool will receive it. */
function literalText(value: string): string {
  return parseTemplate(value)
    .map((part) => (part.kind === 'text' ? part.text : ''))
    .join('');
}
