import type { Instrumenter, SpanStatus, TracingContext, TracingSpan, TracingSpanKind } from '@azure/core-tracing';
import type { Context, Tracer } from '@opentelemetry/api';
import { otelApi } from '../sdk/opentelemetry';
import { safeAttributes, type TelemetryAttributes } from './telemetry-attributes';

/**
 * The Azure SDKs (Tables, Blobs, Queues, Service Bus, Key Vault) trace through @azure/core-tracing,
 * which does nothing until an instrumenter is installed. This one turns their spans into ours, so
 * storage, bus and Key Vault calls are dependencies inside the event's trace. Their attributes pass
 * the same allow-list as ours: method, status, host and the service namespace are kept; the URL
 * (table and row keys, blob names, SAS parameters) is not.
 */
export function azureSdkInstrumenter(tracer: Tracer): Instrumenter {
  const api = otelApi();
  const kinds: Record<TracingSpanKind, number> = {
    client: api.SpanKind.CLIENT,
    server: api.SpanKind.SERVER,
    producer: api.SpanKind.PRODUCER,
    consumer: api.SpanKind.CONSUMER,
    internal: api.SpanKind.INTERNAL,
  };
  return {
    startSpan(name, options) {
      const parent = (options.tracingContext as Context | undefined) ?? api.context.active();
      const span = tracer.startSpan(
        name,
        {
          kind: kinds[options.spanKind ?? 'internal'],
          attributes: safeAttributes(mapped(options.spanAttributes ?? {})),
        },
        parent,
      );
      const tracingSpan: TracingSpan = {
        setStatus(status: SpanStatus) {
          if (status.status === 'error') {
            span.setStatus({ code: api.SpanStatusCode.ERROR, message: errorName(status.error) });
          } else {
            span.setStatus({ code: api.SpanStatusCode.OK });
          }
        },
        setAttribute(key, value) {
          span.setAttributes(safeAttributes(mapped({ [key]: value })));
        },
        end: () => span.end(),
        // The exception's message can quote a URL or a response; its name is enough to group by.
        recordException: (exception) => span.setAttributes(safeAttributes({ code: errorName(exception) })),
        isRecording: () => span.isRecording(),
        addEvent: () => {},
      };
      return { span: tracingSpan, tracingContext: api.trace.setSpan(parent, span) as unknown as TracingContext };
    },
    withContext(context, callback, ...callbackArgs) {
      return api.context.with(context as unknown as Context, callback, undefined, ...callbackArgs);
    },
    parseTraceparentHeader(traceparent) {
      return api.propagation.extract(api.ROOT_CONTEXT, { traceparent }) as unknown as TracingContext;
    },
    createRequestHeaders(tracingContext) {
      const headers: Record<string, string> = {};
      api.propagation.inject((tracingContext as unknown as Context | undefined) ?? api.context.active(), headers);
      return headers;
    },
  };
}

function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'error';
}

/** The Azure SDK's attribute names (old and new semantic conventions) onto ours; the rest dropped. */
function mapped(attributes: Record<string, unknown>): TelemetryAttributes {
  const out: TelemetryAttributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'az.namespace' && typeof value === 'string') out.azureNamespace = value;
    else if ((key === 'http.method' || key === 'http.request.method') && typeof value === 'string')
      out.httpMethod = value;
    else if ((key === 'http.status_code' || key === 'http.response.status_code') && typeof value === 'number') {
      out.httpStatus = value;
    } else if ((key === 'server.address' || key === 'net.peer.name') && typeof value === 'string')
      out.serverAddress = value;
  }
  return out;
}
