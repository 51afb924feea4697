import type * as CoreTracing from '@azure/core-tracing';
import type * as AzureMonitor from '@azure/monitor-opentelemetry-exporter';
import type * as Api from '@opentelemetry/api';
import type * as OtlpTrace from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as Metrics from '@opentelemetry/sdk-metrics';
import type * as TraceNode from '@opentelemetry/sdk-trace-node';
import { loadOnce } from './load-on-first-use';

/**
 * OpenTelemetry and the Azure Monitor exporter, loaded the first time something is emitted with
 * telemetry on (shared/observability/telemetry.ts). Nothing here is evaluated at registration or
 * when telemetry is off, so cold start does not pay for it (docs/telemetry.md).
 */
export const otelApi = loadOnce((): typeof Api => require('@opentelemetry/api'));
export const otelTraceNode = loadOnce((): typeof TraceNode => require('@opentelemetry/sdk-trace-node'));
export const otelMetrics = loadOnce((): typeof Metrics => require('@opentelemetry/sdk-metrics'));
export const otelResources = loadOnce((): typeof Resources => require('@opentelemetry/resources'));
export const otelOtlpTrace = loadOnce((): typeof OtlpTrace => require('@opentelemetry/exporter-trace-otlp-http'));
export const azureMonitorExporter = loadOnce((): typeof AzureMonitor =>
  require('@azure/monitor-opentelemetry-exporter'),
);

/** @azure/core-tracing: where the Azure SDKs (Tables, Blobs, Service Bus, Key Vault) look for a tracer. */
export const azureCoreTracing = loadOnce((): typeof CoreTracing => require('@azure/core-tracing'));
