import type { Principal } from '../apikeys/principal';
import { type AuditEntry, recordAudit } from '../audit/audit-log';
import type { BusSender } from '../bus/port';
import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import { FAILURE_PROPERTIES, STAGE_QUEUES, type StageMessage, stageMessageSchema } from '../events/contract';
import { sendToStage } from '../events/stage-messages';
import { odata } from '../sdk/data-tables';
import { AlreadyExistsError, ConflictError } from '../storage/errors';
import type { Stored, TableRepository } from '../storage/table-repository';
import type { ApprovalView } from './api-schemas';
import type { ApprovalRecord, ApprovalTables } from './tables';

/**
 * Human approval of a tool call (docs/design.md §6.11). The agent-execution stage asks for one and parks
 * the event `awaiting_approval`; an admin approves or rejects through the API, which resumes the
 * run with an agent-execution message (`s<i>-approved` / `s<i>-rejected`). An approval nobody
 * decides expires: a message scheduled for its expiry time (`s<i>-expired`) fails the event as
 * `approval_expired` if it is still pending then. Decisions go to the audit log.
 */
export interface ApprovalDeps {
  tables: ApprovalTables;
  audit: TableRepository<AuditEntry>;
  bus: () => BusSender;
}

/** How long an approval waits for a decision (docs/decisions.md, "Approvals"). */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000;

export function approvalId(eventId: string, stepIndex: number): string {
  return `apr-${eventId}-${stepIndex}`;
}

export type ResumeStep = `s${number}-${'approved' | 'rejected' | 'expired'}`;

export function resumeStep(stepIndex: number, decision: 'approved' | 'rejected' | 'expired'): ResumeStep {
  return `s${stepIndex}-${decision}`;
}

function toView(stored: Stored<ApprovalRecord>): ApprovalView {
  const v = stored.value;
  return {
    id: stored.rowKey,
    eventId: v.eventId,
    agentRunId: v.agentRunId,
    stepIndex: v.stepIndex,
    sopId: v.sopId,
    tool: v.tool,
    vendor: v.vendor,
    args: JSON.parse(v.args) as Record<string, unknown>,
    reason: v.reason,
    status: v.status,
    createdAt: v.createdAt,
    expiresAt: v.expiresAt,
    decidedAt: v.decidedAt ?? null,
    decidedBy: v.decidedBy ?? null,
    comment: v.comment ?? null,
  };
}

export interface ApprovalRequest {
  tenantId: string;
  eventId: string;
  agentRunId: string;
  stepIndex: number;
  sopId: string;
  tool: string;
  vendor: string;
  args: Record<string, unknown>;
  reason: string;
  correlationId: string;
}

/**
 * Ask for a decision: the row (idempotent — a redelivery finds the same one) and the expiry check
 * scheduled for when it runs out. Returns the approval as stored.
 */
export async function requestApproval(deps: ApprovalDeps, request: ApprovalRequest): Promise<ApprovalView> {
  const id = approvalId(request.eventId, request.stepIndex);
  const at = nowMs();
  let stored: Stored<ApprovalRecord> | undefined;
  try {
    stored = await deps.tables.approvals.insert(request.tenantId, id, {
      eventId: request.eventId,
      agentRunId: request.agentRunId,
      stepIndex: request.stepIndex,
      sopId: request.sopId,
      tool: request.tool,
      vendor: request.vendor,
      args: JSON.stringify(request.args).slice(0, 30_000),
      reason: request.reason,
      status: 'pending',
      createdAt: new Date(at).toISOString(),
      expiresAt: new Date(at + APPROVAL_TTL_MS).toISOString(),
    });
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    stored = await deps.tables.approvals.get(request.tenantId, id);
    if (!stored) throw error;
  }
  await scheduleExpiryCheck(deps, request.tenantId, stored, request.correlationId);
  return toView(stored);
}

/** The stage runner's sendToStage has no schedule; this is the same message, sent for later. */
async function scheduleExpiryCheck(
  deps: ApprovalDeps,
  tenantId: string,
  stored: Stored<ApprovalRecord>,
  correlationId: string,
): Promise<void> {
  const v = stored.value;
  const body: StageMessage = stageMessageSchema.parse({
    v: 1,
    tenantId,
    eventId: v.eventId,
    stage: 'agent_execution',
    step: resumeStep(v.stepIndex, 'expired'),
    attempt: 0,
    agentRunId: v.agentRunId,
    stepIndex: v.stepIndex,
  });
  await deps.bus().send(STAGE_QUEUES.agent_execution, body, {
    messageId: `${v.eventId}:${body.stage}:${body.step}:0`,
    scheduledEnqueueTimeUtc: new Date(Date.parse(v.expiresAt)),
    correlationId,
    applicationProperties: {
      [FAILURE_PROPERTIES.tenantId]: tenantId,
      [FAILURE_PROPERTIES.eventId]: v.eventId,
      [FAILURE_PROPERTIES.stage]: 'agent_execution',
      [FAILURE_PROPERTIES.agentRunId]: v.agentRunId,
      [FAILURE_PROPERTIES.sopId]: v.sopId,
      [FAILURE_PROPERTIES.tool]: v.tool,
      [FAILURE_PROPERTIES.vendor]: v.vendor,
    },
  });
}

export async function listApprovals(
  deps: ApprovalDeps,
  caller: Principal,
  options: { status?: ApprovalRecord['status'] | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: ApprovalView[]; nextCursor: string | null }> {
  // Approvals are few per tenant (one per approval step of an event); a status filter inside the
  // tenant's one partition is cheap. Pending ones past their expiry show as expired.
  const page = await deps.tables.approvals.list(caller.tenantId, {
    limit: options.limit,
    cursor: options.cursor ?? null,
    ...(options.status ? { filter: odata`status eq ${options.status}` } : {}),
  });
  return { items: page.items.map(toView), nextCursor: page.nextCursor };
}

export async function getApproval(deps: ApprovalDeps, tenantId: string, id: string): Promise<ApprovalView> {
  const stored = await deps.tables.approvals.get(tenantId, id);
  if (!stored) throw new ResourceNotFoundError('approval', id);
  return toView(stored);
}

/** Decided approvals cannot be decided again, except to repeat the same decision (idempotent). */
export class ApprovalDecidedError extends DomainError {
  constructor(id: string, status: string) {
    super('approval_already_decided', `Approval ${id} is already ${status}.`, { approvalId: id, status });
  }
}

export class ApprovalExpiredError extends DomainError {
  constructor(id: string, expiresAt: string) {
    super('approval_expired', `Approval ${id} expired at ${expiresAt}; the event failed as approval_expired.`, {
      approvalId: id,
      expiresAt,
    });
  }
}

/**
 * Approve or reject. The decision is one ETag-conditional write; the resume message follows it.
 * Repeating the same decision re-sends the message (duplicate detection drops a second copy), so
 * a crash between the two writes is healed by trying again.
 */
export async function decideApproval(
  deps: ApprovalDeps,
  caller: Principal,
  id: string,
  decision: 'approved' | 'rejected',
  comment: string | undefined,
  correlationId: string,
): Promise<ApprovalView> {
  for (;;) {
    const current = await deps.tables.approvals.get(caller.tenantId, id);
    if (!current) throw new ResourceNotFoundError('approval', id);
    const v = current.value;
    if (v.status === decision) {
      await resume(deps, caller.tenantId, current, decision, correlationId);
      return toView(current);
    }
    if (v.status === 'expired') throw new ApprovalExpiredError(id, v.expiresAt);
    if (v.status !== 'pending') throw new ApprovalDecidedError(id, v.status);
    const at = nowMs();
    if (at >= Date.parse(v.expiresAt)) {
      // The scheduled check will fail the event; a late decision must not resurrect it.
      throw new ApprovalExpiredError(id, v.expiresAt);
    }
    let stored: Stored<ApprovalRecord>;
    try {
      stored = await deps.tables.approvals.replace(
        caller.tenantId,
        id,
        {
          ...v,
          status: decision,
          decidedAt: new Date(at).toISOString(),
          decidedBy: caller.keyId,
          ...(comment ? { comment } : {}),
        },
        current.etag,
      );
    } catch (error) {
      if (error instanceof ConflictError) continue; // someone decided meanwhile: read their decision
      throw error;
    }
    await recordAudit(deps.audit, caller.tenantId, {
      action: decision === 'approved' ? 'approval.approved' : 'approval.rejected',
      actorKeyId: caller.keyId,
      targetType: 'approval',
      targetId: id,
      correlationId,
      details: { eventId: v.eventId, tool: v.tool, stepIndex: v.stepIndex, ...(comment ? { comment } : {}) },
    });
    await resume(deps, caller.tenantId, stored, decision, correlationId);
    return toView(stored);
  }
}

async function resume(
  deps: ApprovalDeps,
  tenantId: string,
  stored: Stored<ApprovalRecord>,
  decision: 'approved' | 'rejected',
  correlationId: string,
): Promise<void> {
  const v = stored.value;
  await sendToStage(
    deps.bus(),
    tenantId,
    v.eventId,
    {
      stage: 'agent_execution',
      step: resumeStep(v.stepIndex, decision),
      agentRunId: v.agentRunId,
      stepIndex: v.stepIndex,
    },
    { agentRunId: v.agentRunId, sopId: v.sopId, tool: v.tool, vendor: v.vendor },
    { correlationId },
  );
}

/**
 * The scheduled expiry check: a still-pending approval past its time becomes `expired` (returns
 * true); a decided one is left alone (false), and so is one whose time has not come (false: the
 * check arrived early, e.g. a clock moved back in a test).
 */
export async function expireIfDue(deps: ApprovalDeps, tenantId: string, id: string): Promise<ApprovalView | undefined> {
  const updated = await deps.tables.approvals.update(tenantId, id, (current) => {
    if (current?.status !== 'pending' || nowMs() < Date.parse(current.expiresAt)) return undefined;
    return { ...current, status: 'expired', decidedAt: new Date(nowMs()).toISOString() };
  });
  return updated?.value.status === 'expired' ? toView(updated) : undefined;
}

/** The approval's current state (the agent-execution stage checks a resume against it). */
export async function findApproval(
  deps: ApprovalDeps,
  tenantId: string,
  id: string,
): Promise<ApprovalView | undefined> {
  const stored = await deps.tables.approvals.get(tenantId, id);
  return stored ? toView(stored) : undefined;
}
