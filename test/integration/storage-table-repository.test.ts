import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { tableRepositoryContract } from '../support/contracts/table-repository-contract';
import { connection } from '../support/local-settings';

// The table contract on the suite's Azurite; the same cases run on memory in the unit tier.
tableRepositoryContract('Azurite', () => storageAccountFromConnectionString(connection()));
