import { depsFromServices } from '../app/services';
import { Counters } from './counters';
import { counterTables } from './tables';

/** The analytics counters every capability that records outcomes increments, one per Services instance. */
export const processCounters: () => Counters = depsFromServices((svc) => new Counters(counterTables(svc.account)));
