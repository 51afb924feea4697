import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { countTransactionNow, processCounters } from '../analytics/deps';
import type { Transaction } from '../analytics/transactions';
import { nowMs } from '../clock';
import { catalogCodeOf } from '../error-catalog/catalog-code';
import { DomainError } from '../errors/domain-error';
import type { Stage } from '../events/contract';
import { noteEventDay } from '../events/event-days';
import { newestFirstId, newestFirstIdTime, tenantPartition, timeBucket, timeBucketsBetween } from '../storage/keys';
import type { TableRepository } from '../storage/table-repository';
import type { failureSchema } from './api-schemas';
import { failureDeps } from './deps';
import type { FailureRecord } from './tables';

/** The Failure Analysis records as read: one per failed event, one per rejected webhook delivery. */
export type FailureView = z.infer<typeof failureSchema>;

function table(): TableRepository<FailureRecord> {
  return failureDeps().table;
}

function toView(id: string, r: FailureRecord): FailureView {
  const metadata = JSON.parse(r.metadata) as Record<string, string | number>;
  return { id, ...r, metadata, catalogCode: catalogCodeOf(failureCode(r.kind, r.errorType, metadata)) };
}

/**
 * The code a failure was counted under: a rejection's refusal code (`signature_missing` …), an
 * event's error type. Resolved at read, so records written before catalogCode existed carry it too.
 */
export function failureCode(
  kind: FailureRecord['kind'],
  errorType: string,
  metadata: Record<string, string | number>,
): string {
  const code = metadata['code'];
  return kind === 'rejection' && typeof code === 'string' ? code : errorType;
}

export interface RejectionInput {
  tenantId: string;
  webhookId: string;
  source: string;
  code: string;
  detail: string;
  body: Buffer;
  correlationId: string;
}

const REJECTION_FIXES: Record<string, string> = {
  signature_missing:
    'The sender sent no signature. Configure it to sign with this webhook secret (docs/webhooks-receiving.md), or check that a proxy is not stripping the signature headers.',
  signature_invalid:
    'The signature does not match. Check that the sender uses the current secret of this webhook (after a rotation, the old one verifies only during the grace period) and signs the exact body it sends.',
  timestamp_out_of_range:
    "The webhook-timestamp is more than the allowed skew from the hub's clock. Check the sender's clock (NTP) and that it does not re-send old signed requests.",
  client_state_mismatch:
    'The Graph notification carries a clientState other than this webhook secret. Re-create the Graph subscription with the current secret as clientState.',
  signature_malformed:
    'The signature header is not its scheme\'s shape (docs/webhooks-receiving.md, "Signatures are checked strictly"): base64 or hex of the digest\'s exact length, each header once.',
  malformed_json: 'The body is not valid JSON. Check the sender sends application/json and does not truncate the body.',
};

/**
 * What the key of each signing scheme is, added to signature refusals: the commonest mistake is
 * keying the HMAC with the wrong part of the secret (docs/webhooks-receiving.md).
 */
const SIGNING_KEYS: Record<string, string> = {
  autotask:
    'Autotask: X-Hook-Signature is sha1=<base64 HMAC-SHA1 of the exact body>, keyed with the whole secret string, whsec_ included.',
  halopsa:
    'Halo PSA: send Authorization: Basic <base64 of user:secret>; the password is the whole secret, whsec_ included.',
  microsoft365: "Microsoft 365: the subscription's clientState must be the whole secret, whsec_ included.",
  generic:
    'Standard Webhooks: HMAC-SHA256 keyed with the base64-decoded part after whsec_, over "<webhook-id>.<webhook-timestamp>.<body>"; X-Webhook-Signature: sha256=<hex HMAC-SHA256> keyed with the whole secret string.',
};

function rejectionFix(code: string, source: string): string {
  const fix = REJECTION_FIXES[code] ?? 'Check the sender configuration of this webhook.';
  if (!code.startsWith('signature_')) return fix;
  return `${fix} ${SIGNING_KEYS[source] ?? SIGNING_KEYS.generic}`;
}

/** A refused delivery (docs/design.md §6.9): what, when and a fingerprint of the body; never the body. */
export async function recordRejection(input: RejectionInput): Promise<void> {
  const at = nowMs();
  const id = newestFirstId(at);
  const record: FailureRecord = {
    kind: 'rejection',
    eventId: null,
    webhookId: input.webhookId,
    source: input.source,
    stage: 'validation',
    errorType: input.code === 'malformed_json' ? 'validation_error' : 'signature_invalid',
    message: `${input.code}: ${input.detail}`,
    suggestedFix: rejectionFix(input.code, input.source),
    metadata: JSON.stringify({ code: input.code, vendor: input.source, correlationId: input.correlationId }),
    at: new Date(at).toISOString(),
    bodyBytes: input.body.length,
    bodySha256: createHash('sha256').update(input.body).digest('hex'),
  };
  // The day row first: retention finds rejections through it (shared/inbound/event-days.ts).
  await noteEventDay(input.tenantId, at);
  await table().insert(tenantPartition(input.tenantId, timeBucket(at, 'day')), id, record);
  await processCounters().increment({
    tenantId: input.tenantId,
    integrationType: 'inbound_webhook',
    integrationId: input.webhookId,
    outcome: 'rejected',
    code: input.code,
  });
}

export type EventFailureInput = Pick<
  FailureView,
  'webhookId' | 'source' | 'stage' | 'errorType' | 'message' | 'suggestedFix' | 'metadata'
> & { tenantId: string; eventId: string };

/** Writes the failure of one event; a second write (redelivered dead letter) keeps the first. */
export async function recordEventFailure(input: EventFailureInput): Promise<{ created: boolean }> {
  const pk = tenantPartition(input.tenantId, timeBucket(newestFirstIdTime(input.eventId), 'day'));
  let created = false;
  await table().update(pk, input.eventId, (current) => {
    if (current) return undefined;
    created = true;
    return {
      kind: 'event',
      eventId: input.eventId,
      webhookId: input.webhookId,
      source: input.source,
      stage: input.stage,
      errorType: input.errorType,
      message: input.message,
      suggestedFix: input.suggestedFix,
      metadata: JSON.stringify(input.metadata),
      at: new Date(nowMs()).toISOString(),
    };
  });
  if (created) await countTransactionNow(eventFailureTransaction(input));
  return { created };
}

/** The inbound_webhook transaction of an event that ended failed: its error type, stage and SOP. */
function eventFailureTransaction(input: EventFailureInput): Transaction {
  const sopId = input.metadata['sopId'];
  return {
    tenantId: input.tenantId,
    type: 'inbound_webhook',
    integrationId: input.webhookId ?? '-',
    ok: false,
    code: input.errorType,
    description: input.message,
    service: input.stage,
    flow: typeof sopId === 'string' ? sopId : undefined,
    example: { kind: 'event', id: input.eventId },
  };
}

export async function failureOfEvent(tenantId: string, eventId: string): Promise<FailureView | undefined> {
  let pk: string;
  try {
    pk = tenantPartition(tenantId, timeBucket(newestFirstIdTime(eventId), 'day'));
  } catch {
    return undefined;
  }
  const row = await table().get(pk, eventId);
  return row ? toView(eventId, row.value) : undefined;
}

export interface FailureGroup {
  stage: Stage;
  errorType: string;
  count: number;
  latestAt: string;
  /** The newest few failures of the group. */
  examples: FailureView[];
}

const EXAMPLES_PER_GROUP = 3;
/** A failures summary reads at most this many rows; `truncated` says when there were more. */
const MAX_ROWS = 5_000;
/**
 * The widest range a summary covers, as for the event list: each day is one partition query, so an
 * unbounded range (`from=1971-…`) would cost tens of thousands of empty reads per request.
 */
const MAX_RANGE_MS = 93 * 86_400_000;

/**
 * Failures in [fromMs, toMs] grouped by stage and error type, newest group first. Reads the day
 * partitions of the range only.
 */
export async function groupFailures(
  tenantId: string,
  fromMs: number,
  toMs: number,
  filter: { stage?: Stage | undefined; errorType?: string | undefined } = {},
): Promise<{ groups: FailureGroup[]; total: number; truncated: boolean }> {
  if (!(fromMs <= toMs)) throw new DomainError('validation_failed', '`from` must not be later than `to`.');
  if (toMs - fromMs > MAX_RANGE_MS) {
    throw new DomainError('validation_failed', 'A time range covers at most 93 days; narrow `from`/`to`.');
  }
  const groups = new Map<string, FailureGroup>();
  let total = 0;
  let read = 0;
  for (const day of timeBucketsBetween(fromMs, toMs, 'day')) {
    for await (const row of table().iterate(tenantPartition(tenantId, day))) {
      if (++read > MAX_ROWS) return { groups: sortGroups(groups), total, truncated: true };
      const view = toView(row.rowKey, row.value);
      const atMs = Date.parse(view.at);
      if (atMs < fromMs || atMs > toMs) continue;
      if (filter.stage && view.stage !== filter.stage) continue;
      if (filter.errorType && view.errorType !== filter.errorType) continue;
      total++;
      const key = `${view.stage}\u0000${view.errorType}`;
      const group = groups.get(key) ?? {
        stage: view.stage,
        errorType: view.errorType,
        count: 0,
        latestAt: view.at,
        examples: [],
      };
      group.count++;
      if (view.at > group.latestAt) group.latestAt = view.at;
      group.examples.push(view);
      group.examples.sort((a, b) => b.at.localeCompare(a.at));
      group.examples.length = Math.min(group.examples.length, EXAMPLES_PER_GROUP);
      groups.set(key, group);
    }
  }
  return { groups: sortGroups(groups), total, truncated: false };
}

function sortGroups(groups: Map<string, FailureGroup>): FailureGroup[] {
  return [...groups.values()].sort((a, b) => b.count - a.count || b.latestAt.localeCompare(a.latestAt));
}

/**
 * Retention: deletes up to `limit` Failure Analysis records and rejections of one tenant-day
 * (`day` = YYYYMMDD). Returns how many went and whether the partition is now empty.
 */
export async function purgeFailuresOfDay(
  tenantId: string,
  day: string,
  limit: number,
): Promise<{ deleted: number; empty: boolean }> {
  const pk = tenantPartition(tenantId, day);
  let deleted = 0;
  for await (const row of table().iterate(pk)) {
    if (deleted >= limit) return { deleted, empty: false };
    await table().delete(pk, row.rowKey);
    deleted++;
  }
  return { deleted, empty: true };
}
