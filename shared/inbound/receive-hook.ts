import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { nowMs } from '../clock';
import { CORRELATION_HEADER, correlationIdFrom } from '../http/correlation';
import { problemResponse } from '../http/problem';
import { SECURITY_HEADERS } from '../http/security-headers';
import { createLogger } from '../observability/logger';
import { receiveDeps } from './deps';
import { receiveWebhook } from './receive';

const deps = receiveDeps;

/**
 * Vendor deliveries: anonymous at the host, verified by our own signature check (DESIGN §9.6).
 * functions/hooks-api.ts registers the route, method and auth level and imports this on the
 * first delivery (docs/decisions.md §38).
 */
export async function receiveHook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const started = nowMs();
  const correlationId = correlationIdFrom(request.headers.get(CORRELATION_HEADER));
  const log = createLogger({ correlationId, operation: 'receiveHook', invocationId: context.invocationId });
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
