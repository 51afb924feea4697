import { expectOk, isRecord, stringAt } from '../core/errors';
import { readGraphMessage } from './api';
import { m365Endpoints } from './config';
import { graphCall, type M365Session } from './index';

/** Microsoft Graph lookups for tool calls (read-only). */

export interface GraphUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  accountEnabled: boolean | null;
}

/** `GET /v1.0/users/{id or userPrincipalName}?$select=…` */
export async function lookupUser(session: M365Session, input: { user: string }): Promise<GraphUser> {
  const response = await graphCall(session, (token) => ({
    operation: 'user.lookup',
    method: 'GET',
    url: `${m365Endpoints(session.config).graphRoot}/v1.0/users/${encodeURIComponent(input.user)}?$select=id,displayName,userPrincipalName,accountEnabled`,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  expectOk('microsoft365', 'user.lookup', response, readGraphMessage);
  const body = response.body;
  const enabled = isRecord(body) && typeof body.accountEnabled === 'boolean' ? body.accountEnabled : null;
  return {
    id: stringAt(body, 'id') ?? '',
    displayName: stringAt(body, 'displayName') ?? '',
    userPrincipalName: stringAt(body, 'userPrincipalName') ?? '',
    accountEnabled: enabled,
  };
}
