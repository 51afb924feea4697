import { depsFromServices } from '../app/services';
import { failuresTable } from './tables';

/** The failures table, built once per Services instance; the analysis verbs read it through this. */
export const failureDeps = depsFromServices((svc) => ({ table: failuresTable(svc.account) }));
