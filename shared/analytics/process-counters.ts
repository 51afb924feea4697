import { services } from '../app/services';
import { errorFields, logger } from '../observability/logger';
import { Counters } from './counters';
import { FailureGroups } from './failure-groups';
import { counterTables } from './tables';
import { countTransaction, noteFailure, type Transaction, type TransactionDeps } from './transactions';

let counters: Counters | undefined;

/** The analytics counters every capability that records outcomes increments (DESIGN §4). */
export function processCounters(): Counters {
  counters ??= new Counters(counterTables(services().account));
  return counters;
}

/** The counters and failure groups of this process, for counting transactions. */
export function transactionDeps(): TransactionDeps {
  return { counters: processCounters(), groups: FailureGroups.of(services().account) };
}

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
