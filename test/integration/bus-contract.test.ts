import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { busContract } from '../support/contracts/bus-contract';
import { connection } from '../support/local-settings';

const account = storageAccountFromConnectionString(connection());
const dedupTable = `busdedupc${process.pid}${Date.now().toString(36)}`;

// The bus contract on the storage-queue emulation over Azurite; the same cases run on memory in unit.
busContract({
  name: 'storage queues',
  // maxHideSeconds 1: a scheduled message is re-checked against the moved ManualClock within a second.
  bus: (options) => new StorageQueueBus(account, { dedupTableName: dedupTable, maxHideSeconds: 1, ...options }),
});
