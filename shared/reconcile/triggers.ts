import { weeklyDeps } from './deps';
import { runWeeklyReconcile } from './weekly';

/**
 * What functions/reconcile-api.ts's timer runs, imported on the first invocation (docs/decisions.md
 * §38); the entry registers the schedule (RECONCILE_SCHEDULE).
 */
export async function reconcileEveryIntegration(): Promise<void> {
  await runWeeklyReconcile(weeklyDeps());
}
