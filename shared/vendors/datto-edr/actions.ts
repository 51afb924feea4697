import type { VendorSession } from '../contract';
import { expectOk } from '../core/errors';
import { joinUrl } from '../core/urls';
import { type DattoEdrConfig, type DattoEdrCredentials, dattoEdrBaseUrl, readDattoEdrMessage } from './index';

/** Datto EDR writes for tool calls. Isolation always waits for a human (see shared/tools). */

/** `POST /api/Agents/toggleIsolation {ids, isolated: true}`; the raw token goes in Authorization. */
export async function isolateAgent(
  session: VendorSession<DattoEdrCredentials, DattoEdrConfig>,
  input: { agentId: string },
): Promise<{ agentId: string; isolated: true }> {
  const response = await session.http.request({
    operation: 'agent.isolate',
    method: 'POST',
    url: joinUrl(dattoEdrBaseUrl(session.config), '/api/Agents/toggleIsolation'),
    headers: { Authorization: session.credentials.apiToken, Accept: 'application/json' },
    json: { ids: [input.agentId], isolated: true },
  });
  expectOk('datto-edr', 'agent.isolate', response, readDattoEdrMessage);
  return { agentId: input.agentId, isolated: true };
}
