import { processCounters } from '../analytics/deps';
import { FailureGroups } from '../analytics/failure-groups';
import { services } from '../app/services';
import type { DashboardDeps } from './dashboard';

/** The dashboard reads the process' counters and the failure groups. */
export function dashboardDeps(): DashboardDeps {
  return { counters: processCounters(), groups: FailureGroups.of(services().account) };
}
