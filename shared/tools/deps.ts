import { depsFromServices } from '../app/services';
import { type ToolTables, toolTables } from './tables';

/** The vendor-write ledger's table, built once per Services instance. */
export const toolDeps: () => { tables: ToolTables } = depsFromServices((svc) => ({ tables: toolTables(svc.account) }));
