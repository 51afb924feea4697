import type { ToolResult } from './definition';

/**
 * What a list-reading tool hands back. Tool outputs are flat values, and an agent run keeps each
 * string to 200 characters (shared/agents/runs.ts), so a list becomes its size, whether the read
 * stopped at the vendor's page cap, the first ids, and the first record's label.
 */
export interface ListRead<T> {
  items: readonly T[];
  /** The read stopped at the documented cap with more pages left at the vendor. */
  capped: boolean;
}

const IDS_SHOWN = 20;

export function listResult<T>(
  noun: string,
  read: ListRead<T>,
  idOf: (item: T) => string,
  labelOf: (item: T) => string,
): ToolResult {
  const { items, capped } = read;
  const first = items[0];
  const plural = items.length === 1 ? noun : `${noun}s`;
  return {
    summary: `${items.length}${capped ? '+' : ''} ${plural}${first ? `, first "${labelOf(first)}"` : ''}`,
    output: {
      count: items.length,
      capped,
      ids: items.slice(0, IDS_SHOWN).map(idOf).join(','),
      firstId: first ? idOf(first) : null,
      firstName: first ? labelOf(first) : null,
    },
  };
}
