import { services } from '../app/services';
import { Counters } from './counters';
import { counterTables } from './tables';

let counters: Counters | undefined;

/** The analytics counters every capability that records outcomes increments (DESIGN §4). */
export function processCounters(): Counters {
  counters ??= new Counters(counterTables(services().account));
  return counters;
}
