import type { StorageAccount } from '../storage/connection';
import type { Stored, TableRepository } from '../storage/table-repository';
import { type FailureGroupRow, failureGroupsTable } from './tables';

export type { FailureGroupRow };
export type FailureGroup = Stored<FailureGroupRow>;

/**
 * The failure groups of every tenant (`failuregroups`, see tables.ts): what other capabilities
 * (the dashboard) may do with them, so none of them holds the table itself.
 */
export class FailureGroups {
  constructor(readonly table: TableRepository<FailureGroupRow>) {}

  static of(account: StorageAccount): FailureGroups {
    return new FailureGroups(failureGroupsTable(account));
  }

  /** Read-modify-write of one group under its ETag (`mutate` must be pure). */
  update(partition: string, rowKey: string, mutate: (current: FailureGroupRow | undefined) => FailureGroupRow) {
    return this.table.update(partition, rowKey, mutate);
  }

  /** A tenant's groups, at most `max` (a tenant has as many as distinct failures, not occurrences). */
  async list(partition: string, max: number): Promise<FailureGroup[]> {
    const out: FailureGroup[] = [];
    for await (const row of this.table.iterate(partition)) {
      out.push(row);
      if (out.length >= max) break;
    }
    return out;
  }

  get(partition: string, rowKey: string): Promise<FailureGroup | undefined> {
    return this.table.get(partition, rowKey);
  }
}
