import { callWithBearer } from '../client-credentials';
import { expectOk, stringAt } from '../core/errors';
import { joinUrl } from '../core/urls';
import { dattoRmmBaseUrl, fetchToken, type RmmSession, readDattoRmmMessage, tokenKey } from './index';

/** Datto RMM writes for tool calls (docs/vendors.md "Datto RMM"). */

export interface QuickJobInput {
  deviceUid: string;
  jobName: string;
  componentUid: string;
  variables: Array<{ name: string; value: string }>;
}

/** `PUT /api/v2/device/{deviceUid}/quickjob` → `{job: {uid, name, status}}`. */
export async function runQuickJob(session: RmmSession, input: QuickJobInput): Promise<{ jobUid: string }> {
  const response = await callWithBearer({
    http: session.http,
    cacheKey: tokenKey(session),
    fetchToken: () => fetchToken(session),
    build: (token) => ({
      operation: 'device.quickjob',
      method: 'PUT',
      url: joinUrl(dattoRmmBaseUrl(session.config), `/api/v2/device/${encodeURIComponent(input.deviceUid)}/quickjob`),
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      json: {
        jobName: input.jobName,
        jobComponent: { componentUid: input.componentUid, variables: input.variables },
      },
    }),
  });
  expectOk('datto-rmm', 'device.quickjob', response, readDattoRmmMessage);
  return { jobUid: stringAt(response.body, 'job', 'uid') ?? '' };
}
