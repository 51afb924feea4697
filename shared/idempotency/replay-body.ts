import { ResourceNotFoundError } from '../errors/domain-error';

/**
 * The stored copy of a create's first answer when that answer showed a secret once (an API key, a
 * webhook or subscription signing secret): the secret is left out and `secretShownOnce: true` says
 * why, so a replay never shows it a second time and the key table never holds it
 * (docs/decisions.md §67 b).
 */
export function withoutSecret(...path: string[]): (body: unknown) => unknown {
  return (body) => {
    const copy = structuredClone(body);
    let holder: unknown = copy;
    for (const step of path.slice(0, -1)) {
      holder = holder !== null && typeof holder === 'object' ? (holder as Record<string, unknown>)[step] : undefined;
    }
    const last = path.at(-1);
    if (last !== undefined && holder !== null && typeof holder === 'object')
      delete (holder as Record<string, unknown>)[last];
    return copy !== null && typeof copy === 'object' && !Array.isArray(copy)
      ? { ...copy, secretShownOnce: true }
      : copy;
  };
}

/**
 * A create's answer rebuilt from the resource it made, for `recoverCreate`: undefined when `find`
 * says it does not exist (the create never happened and runs again).
 */
export async function recovered(
  status: number,
  find: () => Promise<unknown>,
): Promise<{ status: number; body: unknown } | undefined> {
  try {
    return { status, body: await find() };
  } catch (error) {
    if (error instanceof ResourceNotFoundError) return undefined;
    throw error;
  }
}
