import { z } from 'zod';
import { nowMs } from '../clock';
import { AlreadyExistsError, ConflictError } from '../storage/errors';
import { escapeKey, tenantPartition } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { ToolResult } from './definition';
import { toolDeps } from './deps';
import type { LedgerRecord, ToolTables } from './tables';

/**
 * The vendor-write ledger's three moves (docs/design.md §6.6): claim before the call, settle after it,
 * and on a later delivery tell apart "done", "failed (the vendor refused, so try again)" and
 * "unknown (we died mid-call)".
 */

function tables(): ToolTables {
  return toolDeps().tables;
}

export interface WriteAddress {
  tenantId: string;
  eventId: string;
  /** The tool-call step, e.g. `run-<eventId>-2` (shared/agents/runs.ts `toolCallStep`). */
  step: string;
}

function keys(address: WriteAddress): { pk: string; rk: string } {
  return { pk: tenantPartition(address.tenantId, address.eventId), rk: escapeKey(address.step) };
}

export type Claim =
  /** `row`: the claim as written, handed to settleWrite so it writes under its ETag without a read. */
  | { kind: 'claimed'; row: ClaimedRow }
  /** An earlier delivery completed the write: its result, to be used instead of calling again. */
  | { kind: 'done'; result: ToolResult }
  /** An earlier delivery claimed the write and never settled it. */
  | { kind: 'unknown'; since: string; attempt: number };

/** The ledger row a claim wrote; opaque to callers, who only hand it back to settleWrite. */
export type ClaimedRow = Stored<LedgerRecord>;

const outputSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

function resultOf(record: LedgerRecord): ToolResult {
  return { summary: record.summary ?? '', output: record.output ? outputSchema.parse(JSON.parse(record.output)) : {} };
}

/**
 * Claim the write for `attempt`: insert `pending`, or take over a row a previous attempt left
 * `failed` (the vendor refused, nothing was written). Conditional writes only, so two deliveries
 * racing for one step cannot both call the vendor. A first delivery finds no row, so the insert
 * goes first and the row is read only when the insert finds one (409).
 */
export async function claimWrite(
  address: WriteAddress,
  what: { tool: string; vendor: string; integrationId: string; attempt: number },
): Promise<Claim> {
  const { pk, rk } = keys(address);
  const pending: LedgerRecord = { ...what, status: 'pending', startedAt: new Date(nowMs()).toISOString() };
  // Round 0 inserts without reading; then three rounds of read-then-write.
  for (let round = 0; round < 4; round++) {
    const current = round === 0 ? undefined : await tables().ledger.get(pk, rk);
    if (!current) {
      try {
        return { kind: 'claimed', row: await tables().ledger.insert(pk, rk, pending) };
      } catch (error) {
        if (error instanceof AlreadyExistsError) continue;
        throw error;
      }
    }
    if (current.value.status === 'succeeded') return { kind: 'done', result: resultOf(current.value) };
    if (current.value.status === 'pending') {
      return { kind: 'unknown', since: current.value.startedAt, attempt: current.value.attempt };
    }
    try {
      return { kind: 'claimed', row: await tables().ledger.replace(pk, rk, pending, current.etag) };
    } catch (error) {
      if (error instanceof ConflictError) continue;
      throw error;
    }
  }
  // Someone else keeps changing the row: whatever they are doing, we must not write as well.
  const latest = await tables().ledger.get(pk, rk);
  return { kind: 'unknown', since: latest?.value.startedAt ?? new Date(nowMs()).toISOString(), attempt: what.attempt };
}

/**
 * Record the call's outcome on the claimed row. `claim` is the row claimWrite wrote: the write
 * starts from its ETag, and a row changed since (nothing should change a claimed row) is re-read.
 */
export async function settleWrite(
  address: WriteAddress,
  outcome: { status: 'succeeded'; result: ToolResult } | { status: 'failed'; error: string },
  claim?: ClaimedRow,
): Promise<void> {
  const { pk, rk } = keys(address);
  await tables().ledger.update(
    pk,
    rk,
    (current) => {
      if (!current) return undefined;
      const finishedAt = new Date(nowMs()).toISOString();
      return outcome.status === 'succeeded'
        ? {
            ...current,
            status: 'succeeded',
            finishedAt,
            summary: outcome.result.summary.slice(0, 500),
            output: JSON.stringify(boundedOutput(outcome.result.output)),
          }
        : { ...current, status: 'failed', finishedAt, error: outcome.error.slice(0, 1000) };
    },
    claim ? { current: claim } : {},
  );
}

function boundedOutput(output: ToolResult['output']): ToolResult['output'] {
  return Object.fromEntries(
    Object.entries(output)
      .slice(0, 20)
      .map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 200) : v]),
  );
}

/** The ledger row of one step (tests and the Failure Analysis read it). */
export async function readWrite(address: WriteAddress): Promise<LedgerRecord | undefined> {
  const { pk, rk } = keys(address);
  return (await tables().ledger.get(pk, rk))?.value;
}
