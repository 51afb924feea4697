import { memoryStorageAccount } from '../../shared/storage/memory-account';
import { tableRepositoryContract } from '../support/contracts/table-repository-contract';

// The table contract on the in-memory account; the same cases run on Azurite in the integration tier.
tableRepositoryContract('memory', () => memoryStorageAccount());
