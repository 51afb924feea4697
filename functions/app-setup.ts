import { app } from '@azure/functions';
import { settings } from '../shared/config/settings';
import { logger } from '../shared/observability/logger';

/**
 * HTTP streaming: without it the host forwards a request body to this (out-of-process) worker only
 * when Content-Length is positive, so a vendor's chunked webhook would arrive empty, fail its
 * signature check and get the webhook disabled. With it the host hands the whole request over and
 * request.arrayBuffer()/text()/json() read it to the end (docs/decisions.md §44). Must run before
 * the worker finishes starting: this file is one of the entries package.json `main` loads.
 */
app.setup({ enableHttpStream: true });

/**
 * Validate every app setting when the worker starts, so a misconfigured deployment fails loudly
 * at start-up with the names of the bad settings instead of on some later request.
 */
app.hook.appStart(() => {
  const s = settings();
  logger.info('app started', { environment: s.HUB_ENVIRONMENT, bus: s.BUS_MODE });
});
