import type { StorageAccount } from '../shared/storage/connection';
import { restStatus } from '../shared/storage/errors';
import { escapeKey } from '../shared/storage/keys';
import { ensureTable } from '../shared/storage/provision';
import type { ScheduleMonitor, ScheduleStatus } from './timers';

/**
 * The timer schedule monitor's store for the local host. The extension keeps one blob per timer
 * (`azure-webjobs-hosts/timers/<host id>/<function>/status`, JSON {Last, Next, LastUpdated}) in
 * the host's storage; here one row per timer in the `LocalTimerStatus` table, partitioned by a host
 * id, so hosts sharing an Azurite (the test suite) keep separate statuses while a restarted host
 * finds its own.
 */
export const SCHEDULE_STATUS_TABLE = 'LocalTimerStatus';

interface Row {
  partitionKey: string;
  rowKey: string;
  last?: string;
  next: string;
  lastUpdated?: string;
}

export function tableScheduleMonitor(account: StorageAccount, hostId: string): ScheduleMonitor {
  const client = account.table(SCHEDULE_STATUS_TABLE);
  const partitionKey = escapeKey(hostId);
  return {
    async get(timerName) {
      await ensureTable(client);
      try {
        const row = await client.getEntity<Row>(partitionKey, escapeKey(timerName));
        const status: ScheduleStatus = { next: row.next };
        if (row.last) status.last = row.last;
        if (row.lastUpdated) status.lastUpdated = row.lastUpdated;
        return status;
      } catch (error) {
        if (restStatus(error).status === 404) return undefined;
        throw error;
      }
    },
    async update(timerName, status) {
      await ensureTable(client);
      const row: Row = { partitionKey, rowKey: escapeKey(timerName), next: status.next };
      if (status.last) row.last = status.last;
      if (status.lastUpdated) row.lastUpdated = status.lastUpdated;
      await client.upsertEntity(row, 'Replace');
    },
  };
}
