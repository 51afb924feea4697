import { depsFromServices } from '../app/services';
import { type AgentTables, agentTables } from './tables';

/** The agent-run table, built once per Services instance; the run verbs read it through this. */
export const agentDeps: () => { tables: AgentTables } = depsFromServices((svc) => ({
  tables: agentTables(svc.account),
}));
