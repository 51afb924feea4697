import type { AuditEntry } from '../audit/audit-log';
import { recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import type { EventRecord } from '../events/event-store';
import { eventPartition, loadEventRecord, payloadStore, tables } from '../events/event-store';
import { erasePublishedPayloads } from '../outbound/delivery-payloads';
import type { OutboundDeps } from '../outbound/deps';
import type { TableRepository } from '../storage/table-repository';

/**
 * Erasing an inbound event's payload (docs/storage.md, "Payload retention and erasure"): the body
 * (inline text or blob), its preview and the normalised event derived from it go; the event row
 * with its ids, status, timeline, size and counts stays, marked `payloadErasedAt`. Replaying an
 * erased event is refused with `payload_erased` (shared/replay). The same verb serves a request
 * (DELETE /api/v1/events/{id}/payload, audited) and the housekeeping past a tenant's window.
 * A request also erases what was published from the event: the pipeline publishes a succeeded
 * event under its own id, so the outbound event and its deliveries share that id
 * (shared/outbound/delivery-payloads.ts); a manual retry of such a delivery is then 410.
 */
export interface ErasureDeps {
  audit: TableRepository<AuditEntry>;
  outbound: OutboundDeps;
}

export interface ErasureResult {
  /** False when the payload was already erased: nothing changed, nothing audited. */
  erased: boolean;
  erasedAt: string;
}

/** The record with its payload gone; every other field kept as it is. */
function withoutPayload(record: EventRecord, at: string): EventRecord {
  const { payloadText: _text, payloadBlob: _blob, normalized: _normalized, ...rest } = record;
  return { ...rest, payloadPreview: '', payloadErasedAt: at };
}

/**
 * Erases one event's payload. The blob goes first and the row after, so a run cut short leaves a
 * row that still names a missing blob (reads of it fail cleanly) and the next call finishes; both
 * steps are idempotent. The row is replaced under its ETag, so a pipeline stage updating the event
 * at the same moment is re-read, never overwritten with the payload back.
 */
export async function eraseEventPayload(tenantId: string, eventId: string): Promise<ErasureResult | undefined> {
  const found = await loadEventRecord(tenantId, eventId);
  if (!found) return undefined;
  if (found.record.payloadErasedAt) return { erased: false, erasedAt: found.record.payloadErasedAt };
  if (found.record.payloadBlob) await payloadStore().delete(found.record.payloadBlob);
  const at = new Date(nowMs()).toISOString();
  let erased = false;
  const updated = await tables().events.update(eventPartition(tenantId, eventId), eventId, (current) => {
    erased = false;
    if (!current || current.payloadErasedAt) return undefined;
    erased = true;
    return withoutPayload(current, at);
  });
  if (!updated) return undefined;
  return { erased, erasedAt: updated.value.payloadErasedAt ?? at };
}

/** DELETE /api/v1/events/{id}/payload: 404 for an event the tenant does not have (inbound or published); audited once. */
export async function erasePayloadOnRequest(
  deps: ErasureDeps,
  caller: { tenantId: string; keyId: string },
  eventId: string,
  correlationId: string,
): Promise<void> {
  const result = await eraseEventPayload(caller.tenantId, eventId);
  // Always, not only when the inbound payload was erased now: a request cut short is finished by
  // the next one. An id the admin publish API returned has only the outbound side.
  const outbound = await erasePublishedPayloads(deps.outbound, caller.tenantId, eventId);
  if (!result && !outbound.found) throw new ResourceNotFoundError('event', eventId);
  if (result?.erased || outbound.erased > 0) {
    await recordAudit(deps.audit, caller.tenantId, {
      action: 'event.payload_erased',
      actorKeyId: caller.keyId,
      targetType: 'event',
      targetId: eventId,
      correlationId,
    });
  }
}
