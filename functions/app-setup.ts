import { app } from '@azure/functions';
import { settings } from '../shared/config/settings';
import { logger } from '../shared/observability/logger';

/**
 * Validate every app setting when the worker starts, so a misconfigured deployment fails loudly
 * at start-up with the names of the bad settings instead of on some later request.
 */
app.hook.appStart(() => {
  const s = settings();
  logger.info('app started', { environment: s.HUB_ENVIRONMENT, bus: s.BUS_MODE });
});
