import { VendorError, type VendorSession } from '../contract';
import { badResponse, expectOk, isRecord, stringAt } from '../core/errors';
import { readUnifiMessage, unifiRestartRequest } from './api';
import { networkApiRoot, type UnifiConfig, type UnifiCredentials } from './config';
import { needsNetworkMode } from './listing';

/**
 * UniFi actions for tool calls: only a console's Network integration API can restart a device or
 * change a firewall policy; the Site Manager API has no writes.
 */

export async function restartDevice(
  session: VendorSession<UnifiCredentials, UnifiConfig>,
  input: { siteId: string; deviceId: string },
): Promise<{ deviceId: string; restarted: true }> {
  const config = session.config;
  if (config.mode !== 'network') {
    // A configuration signal, like a 404: the Site Manager API has no device actions.
    throw new VendorError({
      vendor: 'unifi',
      operation: 'device.restart',
      kind: 'not_found',
      vendorMessage:
        'Restarting a device needs the console’s Network integration API: set the integration’s mode to "network" with its consoleUrl.',
    });
  }
  const response = await session.http.request(
    unifiRestartRequest(session.credentials, config, input.siteId, input.deviceId),
  );
  expectOk('unifi', 'device.restart', response, readUnifiMessage);
  return { deviceId: input.deviceId, restarted: true };
}

/**
 * The fields UniFi's "Update Firewall Policy" (`PUT /v1/sites/{siteId}/firewall/policies/{id}`)
 * takes. The policy as read also carries `id`, `index` and `metadata`, which are read-only and
 * left out of the write (docs/vendor-fidelity.md).
 */
const FIREWALL_POLICY_WRITABLE = [
  'enabled',
  'name',
  'description',
  'action',
  'source',
  'destination',
  'ipProtocolScope',
  'connectionStateFilter',
  'ipsecFilter',
  'loggingEnabled',
  'schedule',
] as const;

/**
 * Enables or disables one existing firewall policy of a console (Network integration API): read it,
 * then write it back unchanged except `enabled`. The API's PATCH takes only `loggingEnabled`, so a
 * full PUT is the documented way to flip `enabled`. Nothing else about a rule can be changed here
 * (docs/tools.md). A policy already in the asked state is not written again.
 */
export async function setFirewallPolicyEnabled(
  session: VendorSession<UnifiCredentials, UnifiConfig>,
  input: { siteId: string; policyId: string; enabled: boolean },
): Promise<{ name: string | undefined; changed: boolean }> {
  const config = session.config;
  if (config.mode !== 'network') throw needsNetworkMode('firewall.policy.update', 'Changing a firewall policy');
  const url = `${networkApiRoot(config)}/v1/sites/${encodeURIComponent(input.siteId)}/firewall/policies/${encodeURIComponent(input.policyId)}`;
  const headers = { 'X-API-KEY': session.credentials.apiKey, Accept: 'application/json' };
  const read = await session.http.request({ operation: 'firewall.policy.get', method: 'GET', url, headers });
  expectOk('unifi', 'firewall.policy.get', read, readUnifiMessage);
  const policy = read.body;
  if (!isRecord(policy) || typeof policy.enabled !== 'boolean') {
    throw badResponse('unifi', 'firewall.policy.get', read, 'The firewall policy was answered without `enabled`');
  }
  const name = stringAt(policy, 'name');
  if (policy.enabled === input.enabled) return { name, changed: false };
  const body: Record<string, unknown> = {};
  for (const field of FIREWALL_POLICY_WRITABLE) if (policy[field] !== undefined) body[field] = policy[field];
  body.enabled = input.enabled;
  const write = await session.http.request({
    operation: 'firewall.policy.update',
    method: 'PUT',
    url,
    headers,
    json: body,
  });
  expectOk('unifi', 'firewall.policy.update', write, readUnifiMessage);
  return { name, changed: true };
}
