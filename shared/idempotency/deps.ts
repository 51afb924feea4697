import { depsFromServices } from '../app/services';
import type { IdempotencyDeps } from './claims';
import { idempotencyTables } from './tables';

/** Five minutes: beyond the 230 s Azure allows an HTTP request, so only a dead request loses its claim. */
export const IDEMPOTENCY_LEASE_MS = 5 * 60_000;

/** The key tables and the retention setting, built once per Services instance. */
export const idempotencyDeps: () => IdempotencyDeps = depsFromServices((svc) => ({
  tables: idempotencyTables(svc.account),
  retentionMs: svc.settings.IDEMPOTENCY_KEY_RETENTION_HOURS * 3_600_000,
  leaseMs: IDEMPOTENCY_LEASE_MS,
}));
