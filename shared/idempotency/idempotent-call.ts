import type { AnyApiRoute, ApiResult } from '../api/api-route';
import { isDomainError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import { errorMapping } from '../http/error-table';
import { type Claim, claimKey, completeClaim, releaseClaim } from './claims';
import { idempotencyDeps } from './deps';
import { requestFingerprint } from './fingerprint';
import { idempotencyKeyOf, REPLAYED_HEADER } from './key-header';
import type { IdempotencyRecord } from './tables';

/** Between the create and the key's completed record (docs/api.md, "Idempotent requests"). */
export const IDEMPOTENCY_CRASH_BEFORE_RECORD = 'idempotency.before-record';

type RouteInput = Parameters<AnyApiRoute['handle']>[0];

/** The route's own headers worth repeating (Location, Content-Type); the edge adds the rest afresh. */
function answerHeaders(result: ApiResult): Record<string, string> {
  return {
    ...(result.body !== undefined && result.text === undefined
      ? { 'Content-Type': 'application/json; charset=utf-8' }
      : {}),
    ...result.headers,
  };
}

function storedBody(def: AnyApiRoute, result: ApiResult): string | undefined {
  if (result.text !== undefined) return undefined;
  if (result.body === undefined) return undefined;
  return JSON.stringify(def.replayBody ? def.replayBody(result.body) : result.body);
}

async function replay(def: AnyApiRoute, input: RouteInput, record: IdempotencyRecord): Promise<ApiResult> {
  const headers = { ...(JSON.parse(record.headers ?? '{}') as Record<string, string>), [REPLAYED_HEADER]: 'true' };
  const status = record.status ?? 200;
  if (record.body !== undefined) return { status, headers, body: JSON.parse(record.body) as unknown };
  // The first answer was too large to keep, or had no body: rebuild it from the resource.
  const created = { resourceId: record.resourceId, seed: record.seed };
  const rebuilt = def.recoverCreate ? await def.recoverCreate(input, created) : undefined;
  const body = rebuilt?.body === undefined ? undefined : def.replayBody ? def.replayBody(rebuilt.body) : rebuilt.body;
  return { status, headers, ...(body !== undefined ? { body } : {}) };
}

async function runClaimed(def: AnyApiRoute, input: RouteInput, claim: Claim, resumed: boolean): Promise<ApiResult> {
  const deps = idempotencyDeps();
  const created = { resourceId: claim.record.resourceId, seed: claim.record.seed };
  const withId: RouteInput = { ...input, idempotency: created };
  let result: ApiResult | undefined;
  try {
    if (resumed && def.recoverCreate) {
      const found = await def.recoverCreate(withId, created);
      // A recovered create answers from the stored resource: a secret it showed once is not there.
      if (found)
        result = def.replayBody && found.body !== undefined ? { ...found, body: def.replayBody(found.body) } : found;
    }
    result ??= await def.handle(withId);
  } catch (error) {
    // A refusal changes nothing, so the key is given back for a corrected retry. Anything else may
    // have created the resource: the claim stays and a retry after its lease recovers it.
    if (isDomainError(error) && errorMapping(error.code).status < 500) await releaseClaim(deps, claim);
    throw error;
  }
  crashPoint(IDEMPOTENCY_CRASH_BEFORE_RECORD);
  await completeClaim(deps, claim, {
    status: result.status,
    headers: answerHeaders(result),
    body: storedBody(def, result),
  });
  return result;
}

/**
 * Runs an idempotent route (a publish or a create) under the request's Idempotency-Key, or plainly
 * when it sends none. Keys are per tenant: the operator's own partition holds the keys of tenant
 * creation. docs/api.md, "Idempotent requests", says what each outcome answers.
 */
export async function idempotentCall(def: AnyApiRoute, input: RouteInput): Promise<ApiResult> {
  const key = idempotencyKeyOf(input.request.headers);
  const principal = input.principal;
  if (key === undefined || !principal) return def.handle(input);
  const fingerprint = requestFingerprint({
    method: def.method,
    route: def.route,
    keyId: principal.keyId,
    body: { body: input.body ?? null, params: input.params ?? null, query: input.query ?? null },
  });
  const outcome = await claimKey(idempotencyDeps(), principal.tenantId, key, fingerprint);
  if (outcome.kind === 'completed') return replay(def, input, outcome.record);
  return runClaimed(def, input, outcome.claim, outcome.kind === 'resumed');
}
