import { processCounters } from '../analytics/process-counters';
import { failureGroupsTable } from '../analytics/tables';
import { services } from '../app/services';
import type { DashboardDeps } from './dashboard';

/** The dashboard reads the process' counters and the failure groups. */
export function dashboardDeps(): DashboardDeps {
  return { counters: processCounters(), groups: failureGroupsTable(services().account) };
}
