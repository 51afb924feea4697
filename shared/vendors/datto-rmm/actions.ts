import { stringAt } from '../core/errors';
import { type RmmSession, rmmCall } from './index';

/** Datto RMM writes for tool calls (docs/vendors.md "Datto RMM"). */

export interface QuickJobInput {
  deviceUid: string;
  jobName: string;
  componentUid: string;
  variables: Array<{ name: string; value: string }>;
}

/** `PUT /api/v2/device/{deviceUid}/quickjob` → `{job: {uid, name, status}}`. */
export async function runQuickJob(session: RmmSession, input: QuickJobInput): Promise<{ jobUid: string }> {
  const response = await rmmCall(session, {
    operation: 'device.quickjob',
    method: 'PUT',
    path: `/api/v2/device/${encodeURIComponent(input.deviceUid)}/quickjob`,
    json: {
      jobName: input.jobName,
      jobComponent: { componentUid: input.componentUid, variables: input.variables },
    },
  });
  return { jobUid: stringAt(response.body, 'job', 'uid') ?? '' };
}
