import { depsFromServices } from '../app/services';
import { errorFields, logger } from '../observability/logger';
import { CounterTallies } from './counter-tallies';
import { Counters } from './counters';
import { FailureGroups } from './failure-groups';
import { counterTables } from './tables';
import {
  countFiltered,
  countTransaction,
  type FilteredTransaction,
  noteFailure,
  type Transaction,
  type TransactionDeps,
} from './transactions';

/** The analytics counters every capability that records outcomes increments, one per Services instance. */
export const processCounters: () => Counters = depsFromServices((svc) => new Counters(counterTables(svc.account)));

/**
 * This process' deferred counter increments (the pipeline's stage and tool-call outcomes), written
 * in batches to processCounters (shared/analytics/counter-tallies.ts).
 */
export const processCounterTallies: () => CounterTallies = depsFromServices(() => new CounterTallies(processCounters));

/** The counters and failure groups of this process, for counting transactions. */
export const transactionDeps: () => TransactionDeps = depsFromServices((svc) => ({
  counters: processCounters(),
  groups: FailureGroups.of(svc.account),
}));

/**
 * Count one transaction with the process' tables (one line at each place where the work happens).
 * Never throws: the work it counts has already happened.
 */
export async function countTransactionNow(tx: Transaction): Promise<void> {
  try {
    await countTransaction(transactionDeps(), tx);
  } catch (error) {
    logger.warn('transaction not counted', { tenantId: tx.tenantId, type: tx.type, ...errorFields(error) });
  }
}

/** Refresh the failure group of a failure whose counter the caller already wrote. Never throws. */
export async function noteFailureNow(tx: Transaction): Promise<void> {
  try {
    await noteFailure(transactionDeps(), tx);
  } catch (error) {
    logger.warn('failure group not updated', { tenantId: tx.tenantId, type: tx.type, ...errorFields(error) });
  }
}

/** Count an event an ingest filter dropped (outcome `filtered`). Never throws. */
export async function countFilteredNow(tx: FilteredTransaction): Promise<void> {
  try {
    await countFiltered(transactionDeps(), tx);
  } catch (error) {
    logger.warn('filtered event not counted', { tenantId: tx.tenantId, type: tx.type, ...errorFields(error) });
  }
}
