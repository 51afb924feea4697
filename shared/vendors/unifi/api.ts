import type { VendorRequest } from '../contract';
import { isRecord, stringAt, type VendorMessage } from '../core/errors';
import {
  networkApiRoot,
  siteManagerRoot,
  type UnifiConfig,
  type UnifiCredentials,
  type UnifiNetworkConfig,
} from './config';

/** UniFi requests and body readers (docs/vendors.md "UniFi"). Pure: the connector sends them. */

/**
 * The probe for the configured API. The two APIs spell the key header differently in their docs
 * (`X-API-Key` for the Site Manager, `X-API-KEY` on a console); we send each as documented.
 */
export function unifiProbeRequest(credentials: UnifiCredentials, config: UnifiConfig): VendorRequest {
  if (config.mode === 'site-manager') {
    return {
      operation: 'probe',
      method: 'GET',
      url: `${siteManagerRoot(config)}/v1/hosts?pageSize=1`,
      headers: { 'X-API-Key': credentials.apiKey, Accept: 'application/json' },
    };
  }
  return {
    operation: 'probe',
    method: 'GET',
    url: `${networkApiRoot(config)}/v1/info`,
    headers: { 'X-API-KEY': credentials.apiKey, Accept: 'application/json' },
  };
}

/** `POST /v1/sites/{siteId}/devices/{deviceId}/actions {"action":"RESTART"}` on a console. */
export function unifiRestartRequest(
  credentials: UnifiCredentials,
  config: UnifiNetworkConfig,
  siteId: string,
  deviceId: string,
): VendorRequest {
  return {
    operation: 'device.restart',
    method: 'POST',
    url: `${networkApiRoot(config)}/v1/sites/${encodeURIComponent(siteId)}/devices/${encodeURIComponent(deviceId)}/actions`,
    headers: { 'X-API-KEY': credentials.apiKey, Accept: 'application/json' },
    json: { action: 'RESTART' },
  };
}

/** Site Manager `{data: [...]}`: the hosts on the first page, or undefined when not that shape. */
export function readHostPage(body: unknown): unknown[] | undefined {
  return isRecord(body) && Array.isArray(body.data) ? body.data : undefined;
}

/** Network `GET /v1/info` → `{applicationVersion}`; undefined when the body is not an object. */
export function readApplicationVersion(body: unknown): { version: string | undefined } | undefined {
  return isRecord(body) ? { version: stringAt(body, 'applicationVersion') } : undefined;
}

/**
 * UniFi error bodies, defensively: Site Manager `{code, httpStatusCode, message, traceId}`;
 * Network integration API `{statusCode, statusName, message, requestPath}` in current versions,
 * `{error: {code, message}}` or the legacy controller's `{meta: {rc, msg}}` in others. A reverse
 * proxy's plain text is not a message (core/errors.ts answers with the status instead).
 */
export function readUnifiMessage(body: unknown): VendorMessage | undefined {
  const message =
    stringAt(body, 'message') ??
    stringAt(body, 'error', 'message') ??
    stringAt(body, 'error') ??
    stringAt(body, 'meta', 'msg') ??
    stringAt(body, 'errorMessage');
  const code =
    stringAt(body, 'code') ??
    stringAt(body, 'statusName') ??
    stringAt(body, 'error', 'code') ??
    stringAt(body, 'meta', 'rc');
  if (message === undefined) return code !== undefined ? { message: code, code } : undefined;
  return code !== undefined ? { message, code } : { message };
}
