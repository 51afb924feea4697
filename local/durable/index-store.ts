import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { restStatus } from '../../shared/storage/errors';
import { escapeKey } from '../../shared/storage/keys';
import { ensureTable } from '../../shared/storage/provision';
import { decodeChunks } from './chunked';
import { type InstanceState, type RuntimeStatus, statusColumns } from './instance-store';

/**
 * The instances table: one row per instance with its status, for queries across instances (list,
 * purge by filter, and the restart sweep that finds in-flight work). The history partition is the
 * source of truth; this is a projection written after each commit, and only ever forwards (by the
 * state's version), so a slow writer never puts an older status back.
 */
export interface IndexRow {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  version: number;
  input: string | undefined;
  output: string | undefined;
  customStatus: string | undefined;
}

const rowSchema = z
  .object({
    instanceId: z.string(),
    name: z.string(),
    runtimeStatus: z.enum(['Pending', 'Running', 'Completed', 'Failed', 'Terminated', 'Suspended']),
    createdTime: z.string(),
    lastUpdatedTime: z.string(),
    version: z.number().int(),
  })
  .loose();

const ROW = 'instance';

export class IndexStore {
  constructor(private readonly table: TableClient) {}

  ensure(): Promise<void> {
    return ensureTable(this.table);
  }

  async get(instanceId: string): Promise<(IndexRow & { etag: string }) | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(escapeKey(instanceId), ROW);
      return { ...this.decode(row), etag: row.etag };
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw error;
    }
  }

  /** Writes the projection of `state` unless the index already holds this version or a later one. */
  async project(state: InstanceState, options: { force?: boolean } = {}): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(state.instanceId);
      if (current && current.version >= state.version && !options.force) return;
      const entity = this.encode(state);
      try {
        if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return;
      } catch (error) {
        const { status } = restStatus(error);
        if (status !== 412 && status !== 409 && status !== 404) throw error;
      }
    }
  }

  async delete(instanceId: string): Promise<void> {
    await this.table.deleteEntity(escapeKey(instanceId), ROW).catch((error: unknown) => {
      if (restStatus(error).status !== 404) throw error;
    });
  }

  /** All rows whose status is one of `statuses` (all rows when empty). A scan: fine for local use. */
  async list(statuses: readonly RuntimeStatus[] = []): Promise<IndexRow[]> {
    const filter = statuses.map((s) => `runtimeStatus eq '${s}'`).join(' or ');
    const out: IndexRow[] = [];
    for await (const row of this.table.listEntities<Record<string, unknown>>({
      queryOptions: filter ? { filter } : {},
    })) {
      out.push(this.decode(row));
    }
    return out;
  }

  private encode(s: InstanceState): Record<string, unknown> & { partitionKey: string; rowKey: string } {
    return {
      partitionKey: escapeKey(s.instanceId),
      rowKey: ROW,
      ...statusColumns(s),
    };
  }

  private decode(row: Record<string, unknown>): IndexRow {
    const r = rowSchema.parse(row);
    return {
      instanceId: r.instanceId,
      name: r.name,
      runtimeStatus: r.runtimeStatus,
      createdTime: r.createdTime,
      lastUpdatedTime: r.lastUpdatedTime,
      version: r.version,
      input: decodeChunks(row, 'input'),
      output: decodeChunks(row, 'output'),
      customStatus: decodeChunks(row, 'customStatus'),
    };
  }
}
