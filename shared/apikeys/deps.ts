import { depsFromServices } from '../app/services';
import type { ApiKeyDeps } from './api-keys';

/** The key tables, the audit log and the lifetime cap, built once per Services instance. */
export const apiKeyDeps: () => ApiKeyDeps = depsFromServices((svc) => ({
  tables: svc.apiKeys,
  audit: svc.audit,
  maxLifetimeDays: svc.settings.API_KEY_MAX_LIFETIME_DAYS,
}));
