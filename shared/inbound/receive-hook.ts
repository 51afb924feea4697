import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { nowMs } from '../clock';
import { CORRELATION_HEADER, correlationIdFrom } from '../http/correlation';
import { problemResponse } from '../http/problem';
import { SECURITY_HEADERS } from '../http/security-headers';
import { createLogger } from '../observability/logger';
import { inSpan, type SpanHandle } from '../observability/telemetry';
import { SPAN_NAMES } from '../observability/telemetry-names';
import { pushDeps, receiveDeps } from './deps';
import { receiveWebhook } from './receive';

const deps = receiveDeps;

/**
 * Vendor deliveries: anonymous at the host, verified by our own signature check (docs/design.md §6.9).
 * functions/hooks-api.ts registers the route, method and auth level and imports this on the
 * first delivery (docs/decisions.md §38).
 */
export async function receiveHook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  // The host's request span is the parent in Azure; the vendor's own traceparent header is not trusted.
  const traceParent = context.traceContext?.traceParent ?? undefined;
  return inSpan(
    SPAN_NAMES.webhookReceive,
    {
      kind: 'server',
      ...(traceParent ? { parent: { traceparent: traceParent } } : {}),
      attributes: { webhookId: request.params['webhookId'] },
    },
    async (span) => {
      const response = await receive(request, context, span);
      span.set({ httpStatus: response.status });
      if ((response.status ?? 200) >= 400) span.fail(response.status ?? 500);
      return response;
    },
  );
}

async function receive(request: HttpRequest, context: InvocationContext, span: SpanHandle): Promise<HttpResponseInit> {
  const started = nowMs();
  const correlationId = correlationIdFrom(request.headers.get(CORRELATION_HEADER));
  const log = createLogger({ correlationId, operation: 'receiveHook', invocationId: context.invocationId });
  span.set({ correlationId });
  const webhookId = request.params['webhookId'] ?? '';
  let response: HttpResponseInit;
  try {
    const d = deps();
    const declared = Number(request.headers.get('content-length') ?? Number.NaN);
    const declaredLength = Number.isFinite(declared) ? declared : undefined;
    // A body declared over the limit is not read at all.
    const body =
      declaredLength !== undefined && declaredLength > d.maxBodyBytes
        ? undefined
        : Buffer.from(await request.arrayBuffer());
    const result = await receiveWebhook(d, {
      webhookId,
      headers: request.headers,
      query: request.query,
      body,
      declaredLength,
      correlationId,
      log,
    });
    response =
      'text' in result
        ? { status: result.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: result.text }
        : {
            status: result.status,
            headers: { 'Content-Type': 'application/json; charset=utf-8' },
            body: JSON.stringify(result.body),
          };
  } catch (error) {
    response = problemResponse(error, correlationId, log);
  }
  response.headers = {
    ...(response.headers as Record<string, string>),
    ...SECURITY_HEADERS,
    [CORRELATION_HEADER]: correlationId,
  };
  log.info('webhook delivery', { webhookId, status: response.status, durationMs: nowMs() - started });
  return response;
}

/**
 * Autotask's deactivation callout (`hooks/{webhookId}/deactivated/{token}`): flags the pushed
 * registration inactive (shared/inbound/vendor-push.ts recordVendorDeactivation). The body is not
 * needed (the URL names the webhook), so it is not read.
 */
export async function receiveVendorDeactivation(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = correlationIdFrom(request.headers.get(CORRELATION_HEADER));
  const log = createLogger({
    correlationId,
    operation: 'receiveVendorDeactivation',
    invocationId: context.invocationId,
  });
  const webhookId = request.params['webhookId'] ?? '';
  let response: HttpResponseInit;
  try {
    // Imported here, not at the top: vendor-push brings the pushing vendors' connectors, which a
    // signed delivery never needs (docs/benchmarks.md, "Cold requests").
    const { recordVendorDeactivation } = await import('./vendor-push');
    const result = await recordVendorDeactivation(pushDeps(), webhookId, request.params['token'] ?? '', correlationId);
    response = {
      status: 200,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ deactivated: true, flagged: result.flagged }),
    };
  } catch (error) {
    response = problemResponse(error, correlationId, log);
  }
  response.headers = {
    ...(response.headers as Record<string, string>),
    ...SECURITY_HEADERS,
    [CORRELATION_HEADER]: correlationId,
  };
  log.info('vendor deactivation callout', { webhookId, status: response.status });
  return response;
}
