import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentRun } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import { APPROVAL_TTL_MS, approvalId, decideApproval, findApproval } from '../../shared/approvals/approvals';
import { approvalDeps } from '../../shared/approvals/deps';
import type { MemoryBus } from '../../shared/bus/memory-bus';
import { installClock, ManualClock } from '../../shared/clock';
import { STAGE_QUEUES } from '../../shared/events/contract';
import {
  agentExecutionWork,
  loadExecutionPoint,
  resumeExpired,
  resumeRejected,
  walkSteps,
} from '../../shared/pipeline/stages/agent-execution';
import { installMemoryServices } from '../support/memory-services';
import { type RunSteps, storedRunContext } from '../support/stored-run';

/**
 * The agent-execution stage's steps (shared/pipeline/stages/agent-execution.ts) on the in-memory
 * storage account and bus: conditions, approvals (requested, rejected, expired on the virtual
 * clock) and the hand-off to the tool call, with no Azurite.
 */
const tenantId = `unit-${randomUUID().slice(0, 8)}`;
const admin: Principal = { tenantId, keyId: 'approver-key', scopes: ['admin'] };
let bus: MemoryBus;
let restoreClock: (() => void) | undefined;

beforeAll(() => {
  process.env.LOG_LEVEL = 'error';
  bus = installMemoryServices().bus;
});
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

const note = (extra: Partial<RunSteps[number]> = {}): RunSteps[number] => ({
  tool: 'autotask.ticket.add_note',
  args: { ticketId: '{{event.entities.ticketId}}', description: 'seen' },
  requiresApproval: false,
  ...extra,
});

function execution(steps: RunSteps, step = 's0', event = {}) {
  return storedRunContext({ tenantId, steps, stage: 'agent_execution', step: () => step, event });
}

describe('agent execution: loadExecutionPoint', () => {
  it('parses s<i> and s<i>-<resume>, and refuses a step or run that does not exist', async () => {
    const ctx = await execution([note()], 's0-approved');
    expect(await loadExecutionPoint(ctx)).toMatchObject({ index: 0, resume: 'approved', run: { id: ctx.run.id } });
    const bad = await execution([note()], 'step-zero');
    expect(await loadExecutionPoint(bad)).toBeUndefined();
    expect(await agentExecutionWork(bad)).toMatchObject({ kind: 'fail', errorType: 'internal_error' });
  });
});

describe('agent execution: walkSteps', () => {
  it('hands the first runnable step to the tool call with its run, tool and vendor', async () => {
    const ctx = await execution([note()]);
    expect(await walkSteps(ctx, ctx.run, 0, false)).toMatchObject({
      kind: 'next',
      messages: [{ stage: 'tool_call', stepIndex: 0, agentRunId: ctx.run.id, step: `${ctx.run.id}-0` }],
      properties: { tool: 'autotask.ticket.add_note', vendor: 'autotask' },
    });
  });

  it('skips steps whose condition does not hold and records why', async () => {
    const ctx = await execution(
      [note({ condition: { field: 'event.severity', op: 'eq', value: 'critical' } }), note()],
      's0',
      { severity: 'low' },
    );
    expect(await walkSteps(ctx, ctx.run, 0, false)).toMatchObject({ kind: 'next', messages: [{ stepIndex: 1 }] });
    expect((await loadAgentRun(tenantId, ctx.run.id))?.progress[0]).toMatchObject({
      status: 'skipped',
      summary: 'condition does not hold',
    });
  });

  it('past the last step the run has succeeded', async () => {
    const ctx = await execution([note()], 's1');
    expect(await walkSteps(ctx, ctx.run, 1, false)).toMatchObject({ kind: 'done', status: 'succeeded' });
    expect((await loadAgentRun(tenantId, ctx.run.id))?.status).toBe('succeeded');
  });

  it('a tool the catalog no longer has fails the run at that step', async () => {
    const ctx = await execution([note({ tool: 'autotask.ticket.vanish' })]);
    expect(await walkSteps(ctx, ctx.run, 0, false)).toMatchObject({
      kind: 'fail',
      errorType: 'tool_execution_error',
      transient: false,
    });
    expect((await loadAgentRun(tenantId, ctx.run.id))?.status).toBe('failed');
  });

  it('a step that needs approval waits for one, with its expiry check scheduled on the bus', async () => {
    const ctx = await execution([note({ requiresApproval: true })]);
    const result = await walkSteps(ctx, ctx.run, 0, false);
    expect(result).toMatchObject({ kind: 'done', status: 'awaiting_approval' });
    const approval = await findApproval(approvalDeps(), tenantId, approvalId(ctx.event.id, 0));
    expect(approval).toMatchObject({ status: 'pending', tool: 'autotask.ticket.add_note' });
    expect((await loadAgentRun(tenantId, ctx.run.id))?.status).toBe('awaiting_approval');
    // Scheduled for the approval's expiry: not receivable yet.
    expect(await bus.peek(STAGE_QUEUES.agent_execution)).not.toContainEqual(
      expect.objectContaining({ messageId: `${ctx.event.id}:agent_execution:s0-expired:0` }),
    );
  });

  it('a tool that always needs approval waits even when the step does not ask', async () => {
    const ctx = await execution([
      { tool: 'datto-edr.host.isolate', args: { agentId: 'a-1' }, requiresApproval: false },
    ]);
    expect(await walkSteps(ctx, ctx.run, 0, false)).toMatchObject({ kind: 'done', status: 'awaiting_approval' });
  });

  it('an approved step runs at once, marked approved on the run', async () => {
    const ctx = await execution([note({ requiresApproval: true })], 's0-approved');
    expect(await agentExecutionWork(ctx)).toMatchObject({ kind: 'next', messages: [{ stepIndex: 0 }] });
    expect((await loadAgentRun(tenantId, ctx.run.id))?.progress[0]).toMatchObject({ status: 'approved' });
  });
});

describe('agent execution: resumes', () => {
  it('a rejection fails the run, naming who rejected it and why', async () => {
    const ctx = await execution([note({ requiresApproval: true })]);
    await walkSteps(ctx, ctx.run, 0, false);
    await decideApproval(approvalDeps(), admin, approvalId(ctx.event.id, 0), 'rejected', 'not on prod', 'corr');
    const result = await resumeRejected(ctx, ctx.run, 0);
    expect(result).toMatchObject({ kind: 'fail', errorType: 'approval_rejected' });
    expect(result.kind === 'fail' && result.message).toMatch(/rejected by key approver-key: "not on prod"/);
  });

  it('the expiry check does nothing before the approval expires, and fails the run after it (virtual clock)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    restoreClock = installClock(clock);
    const ctx = await execution([note({ requiresApproval: true })], 's0-expired');
    await walkSteps(ctx, ctx.run, 0, false);
    expect(await resumeExpired(ctx, ctx.run, 0)).toMatchObject({ kind: 'done', status: 'processing' });
    clock.advance(APPROVAL_TTL_MS);
    expect(await resumeExpired(ctx, ctx.run, 0)).toMatchObject({ kind: 'fail', errorType: 'approval_expired' });
    expect((await loadAgentRun(tenantId, ctx.run.id))?.progress[0]).toMatchObject({ status: 'expired' });
    // Once due, the scheduled check is receivable on the same clock.
    const due = await bus.receive(STAGE_QUEUES.agent_execution, { maxMessages: 32 });
    expect(due.map((l) => l.message.messageId)).toContain(`${ctx.event.id}:agent_execution:s0-expired:0`);
  });
});
