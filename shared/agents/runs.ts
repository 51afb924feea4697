import { z } from 'zod';
import { nowMs } from '../clock';
import { type SopStep, stepSchema } from '../sops/api-schemas';
import { AlreadyExistsError } from '../storage/errors';
import type { Stored } from '../storage/table-repository';
import { agentDeps } from './deps';
import { type AgentRunRecord, type AgentTables, type RunStatus, type StepProgress, stepProgressSchema } from './tables';

/**
 * Agent runs: one per event that matched a SOP. Dispatch creates it (idempotently: the id comes
 * from the event id), execution and tool calls advance it. The executor is deterministic: it walks
 * the snapshotted steps in order (shared/pipeline/stages/agent-execution.ts).
 */
export interface AgentRun {
  id: string;
  tenantId: string;
  eventId: string;
  sopId: string;
  sopName: string;
  sopVersion: number;
  status: RunStatus;
  steps: SopStep[];
  progress: StepProgress[];
  createdAt: string;
  updatedAt: string;
}

function tables(): AgentTables {
  return agentDeps().tables;
}

export function agentRunId(eventId: string): string {
  return `run-${eventId}`;
}

/**
 * The tool-call stage's step for one step of a run: `<runId>-<stepIndex>`, which reads
 * `run-<eventId>-<i>` because run ids already carry the `run-` prefix. The step is part of the
 * message id and the vendor-write ledger's key, so it must stay a pure function of run and index.
 */
export function toolCallStep(runId: string, stepIndex: number): string {
  return `${runId}-${stepIndex}`;
}

const stepsSchema = z.array(stepSchema);
const progressSchema = z.array(stepProgressSchema);

/**
 * The row each run object was built from, kept beside it rather than on it: the run stays plain
 * data for views and tests, and `updateAgentRun(…, known)` can start its read-modify-write from
 * this row's ETag instead of reading the row again (docs/pipeline.md, "Storage operations per
 * event"). A WeakMap, so a run nobody holds takes its row with it.
 */
const rowOfRun = new WeakMap<AgentRun, Stored<AgentRunRecord>>();

function toRun(tenantId: string, id: string, stored: Stored<AgentRunRecord>): AgentRun {
  const run = runOf(tenantId, id, stored.value);
  rowOfRun.set(run, stored);
  return run;
}

function runOf(tenantId: string, id: string, record: AgentRunRecord): AgentRun {
  return {
    id,
    tenantId,
    eventId: record.eventId,
    sopId: record.sopId,
    sopName: record.sopName,
    sopVersion: record.sopVersion,
    status: record.status,
    steps: stepsSchema.parse(JSON.parse(record.steps)),
    progress: progressSchema.parse(JSON.parse(record.progress)),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export interface NewRun {
  tenantId: string;
  eventId: string;
  sop: { id: string; name: string; version: number; steps: SopStep[] };
}

/** Creates the event's run, or returns the one a previous delivery created. */
export async function createAgentRun(input: NewRun): Promise<{ run: AgentRun; created: boolean }> {
  const id = agentRunId(input.eventId);
  const at = new Date(nowMs()).toISOString();
  const record: AgentRunRecord = {
    eventId: input.eventId,
    sopId: input.sop.id,
    sopName: input.sop.name,
    sopVersion: input.sop.version,
    status: 'running',
    steps: JSON.stringify(input.sop.steps),
    progress: JSON.stringify(input.sop.steps.map((): StepProgress => ({ status: 'pending' }))),
    createdAt: at,
    updatedAt: at,
  };
  try {
    const stored = await tables().runs.insert(input.tenantId, id, record);
    return { run: toRun(input.tenantId, id, stored), created: true };
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const existing = await loadAgentRun(input.tenantId, id);
    if (!existing) throw error;
    return { run: existing, created: false };
  }
}

export async function loadAgentRun(tenantId: string, id: string): Promise<AgentRun | undefined> {
  const row = await tables().runs.get(tenantId, id);
  return row ? toRun(tenantId, id, row) : undefined;
}

export class AgentRunMissingError extends Error {
  override readonly name = 'AgentRunMissingError';
}

/** Limits that keep a run's progress column far below Table Storage's 32K characters per property. */
const MAX_SUMMARY = 300;
const MAX_OUTPUT_VALUE = 200;

function bounded(progress: StepProgress): StepProgress {
  const out: StepProgress = { ...progress };
  if (out.summary) out.summary = out.summary.slice(0, MAX_SUMMARY);
  if (out.error) out.error = out.error.slice(0, MAX_SUMMARY * 2);
  if (out.output) {
    out.output = Object.fromEntries(
      Object.entries(out.output).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, MAX_OUTPUT_VALUE) : v]),
    );
  }
  return out;
}

/**
 * Record one step's progress and, optionally, the run's status (ETag read-modify-write: the
 * approval API and the stages may touch one run at the same moment). `known` is the run as this
 * caller loaded or last updated it: the write then starts from that row's ETag without reading it
 * again, and a row changed since loses the ETag race and is re-read, so nothing is overwritten.
 * The answer is the run as written, to pass as `known` to the caller's next update.
 */
export async function updateAgentRun(
  tenantId: string,
  id: string,
  change: { stepIndex?: number; step?: StepProgress; status?: RunStatus },
  known?: AgentRun,
): Promise<AgentRun> {
  const row = known && known.id === id && known.tenantId === tenantId ? rowOfRun.get(known) : undefined;
  const stored = await tables().runs.update(
    tenantId,
    id,
    (current) => {
      if (!current) return undefined;
      const progress = progressSchema.parse(JSON.parse(current.progress));
      if (change.stepIndex !== undefined && change.step) {
        // A step's approval stays on it after the call runs, so the run still shows who let it run.
        const approvalId = progress[change.stepIndex]?.approvalId;
        progress[change.stepIndex] = bounded({
          ...(approvalId ? { approvalId } : {}),
          ...change.step,
          at: new Date(nowMs()).toISOString(),
        });
      }
      return {
        ...current,
        progress: JSON.stringify(progress),
        ...(change.status ? { status: change.status } : {}),
        updatedAt: new Date(nowMs()).toISOString(),
      };
    },
    row ? { current: row } : {},
  );
  if (!stored) throw new AgentRunMissingError(`agent run ${id} does not exist`);
  return toRun(tenantId, id, stored);
}
