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

/**
 * Telemetry leaves with the invocation that made it: the host may freeze or recycle the instance
 * once an invocation returns, and spans waiting for the batch interval would go with it. The
 * flush is bounded (INVOCATION_FLUSH_BOUND_MS) and a no-op when telemetry is off; the module is
 * loaded on the first invocation, never at registration (cold start). docs/telemetry.md, "Flush".
 */
const telemetry = () => import('../shared/observability/telemetry');
app.hook.postInvocation(async () => {
  const t = await telemetry();
  await t.flushTelemetryWithin(t.INVOCATION_FLUSH_BOUND_MS);
});
app.hook.appTerminate(async () => {
  const t = await telemetry();
  await t.flushTelemetryWithin(5 * t.INVOCATION_FLUSH_BOUND_MS);
});
