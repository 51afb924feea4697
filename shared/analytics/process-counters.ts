import { services } from '../app/services';
import { Counters } from './counters';
import { countTransaction, noteFailure, type Transaction, type TransactionDeps } from './transactions';
import { counterTables, failureGroupsTable } from './tables';

let counters: Counters | undefined;

/** The analytics counters every capability that records outcomes increments (DESIGN §4). */
export function processCounters(): Counters {
  counters ??= new Counters(counterTables(services().account));
  return counters;
}

/** The counters and failure groups of this process, for counting transactions. */
export function transactionDeps(): TransactionDeps {
  return { counters: processCounters(), groups: failureGroupsTable(services().account) };
}

/** Count one transaction with the process' tables (one line at each place where the work happens). */
export function countTransactionNow(tx: Transaction): Promise<void> {
  return countTransaction(transactionDeps(), tx);
}

/** Refresh the failure group of a failure whose counter the caller already wrote. */
export function noteFailureNow(tx: Transaction): Promise<void> {
  return noteFailure(transactionDeps(), tx);
}
