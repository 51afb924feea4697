import { errorFields, logger } from '../observability/logger';
import type { StorageAccount } from '../storage/connection';
import { ConflictError } from '../storage/errors';
import type { Stored, TableRepository } from '../storage/table-repository';
import { type FailureGroupRow, failureGroupsTable } from './tables';

export type { FailureGroupRow };
export type FailureGroup = Stored<FailureGroupRow>;

/**
 * Groups a tenant keeps (docs/dashboard.md): creating one more evicts the groups seen longest ago,
 * so the failures table is one read of at most this many rows however many distinct failures a
 * tenant has ever had. The counters still count an evicted group's failures.
 */
export const MAX_GROUPS = 500;
/** Read-modify-write rounds of a group: every failure of the group, from every instance, races here. */
const UPDATE_ATTEMPTS = 20;

/**
 * The failure groups of every tenant (`failuregroups`, see tables.ts): what other capabilities
 * (the dashboard) may do with them, so none of them holds the table itself.
 */
export class FailureGroups {
  /** `maxGroups` is MAX_GROUPS except in tests that show the trimming without writing 500 groups. */
  constructor(
    readonly table: TableRepository<FailureGroupRow>,
    private readonly maxGroups = MAX_GROUPS,
  ) {}

  static of(account: StorageAccount): FailureGroups {
    return new FailureGroups(failureGroupsTable(account));
  }

  /**
   * Read-modify-write of one group under its ETag (`mutate` must be pure). When the write created
   * the group, the partition is trimmed back to `maxGroups`.
   */
  async update(partition: string, rowKey: string, mutate: (current: FailureGroupRow | undefined) => FailureGroupRow) {
    let created = false;
    const stored = await this.table.update(
      partition,
      rowKey,
      (current) => {
        created = current === undefined;
        return mutate(current);
      },
      { maxAttempts: UPDATE_ATTEMPTS },
    );
    if (created) await this.evictOldest(partition);
    return stored;
  }

  /**
   * Deletes the groups last seen longest ago beyond `maxGroups` (the one just made is the newest).
   * Runs only when a group is created, which is rare next to failures of known groups. Each delete
   * is ETag-conditional: a group refreshed meanwhile is no longer the oldest and stays.
   */
  private async evictOldest(partition: string): Promise<void> {
    try {
      const rows: FailureGroup[] = [];
      for await (const row of this.table.iterate(partition)) rows.push(row);
      if (rows.length <= this.maxGroups) return;
      const oldest = rows
        .sort((a, b) => a.value.lastSeen.localeCompare(b.value.lastSeen))
        .slice(0, rows.length - this.maxGroups);
      for (const row of oldest) {
        await this.table.delete(partition, row.rowKey, row.etag).catch((error: unknown) => {
          if (!(error instanceof ConflictError)) throw error;
        });
      }
    } catch (error) {
      logger.warn('failure groups not trimmed', { partition, ...errorFields(error) });
    }
  }

  /**
   * A tenant's groups, at most `max` (default: the cap). Racing writers may leave a few more than
   * the cap for a while; reading stops at the cap regardless, so a read stays bounded.
   */
  async list(partition: string, max = this.maxGroups): Promise<FailureGroup[]> {
    const out: FailureGroup[] = [];
    // Pages sized to what is still wanted: racing writers may leave a few groups over the cap for a
    // while, and a read must not fetch them (the dashboard's rows stay bounded by the cap).
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof this.table.list>> = await this.table.list(partition, {
        limit: Math.min(200, max - out.length),
        cursor,
      });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && out.length < max);
    return out;
  }

  get(partition: string, rowKey: string): Promise<FailureGroup | undefined> {
    return this.table.get(partition, rowKey);
  }
}
