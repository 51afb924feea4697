import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentRun, toolCallStep, updateAgentRun } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import type { StageContext } from '../../shared/pipeline/stage-runner';
import { agentExecutionWork } from '../../shared/pipeline/stages/agent-execution';
import { toolCallWork } from '../../shared/pipeline/stages/tool-call';
import { claimWrite, readWrite, settleWrite } from '../../shared/tools/ledger';
import { AutotaskFake } from '../fakes/autotask';
import { DattoEdrFake } from '../fakes/datto-edr';
import { installLocalSettings } from '../support/local-settings';
import { connectFakeVendors } from '../support/processing-stages';
import { type RunSteps, storedRunContext } from '../support/stored-run';
import { tableTrips } from '../support/table-trips';

/**
 * What the agent run and the vendor-write ledger cost per event (docs/pipeline.md, "Storage
 * operations per event"): each stage delivery reads the run once and writes it from that read's
 * ETag; the ledger's claim inserts without reading and its settle writes under the claim's ETag.
 * And the saving never overwrites: a row changed since it was read loses the ETag race and is read
 * again. Round trips are counted at the SDK's transport, on Azurite, against the fake Autotask.
 */
const tenantId = `runops-${randomUUID().slice(0, 8)}`;
const principal: Principal = { tenantId, keyId: 'test-key', scopes: ['admin'] };
const autotask = new AutotaskFake();
const edr = new DattoEdrFake();

beforeAll(async () => {
  process.env.LOG_LEVEL = 'warn';
  installLocalSettings();
  await autotask.start();
  await edr.start();
  await connectFakeVendors(principal, autotask, edr);
}, 60_000);

afterAll(async () => {
  await autotask.stop();
  await edr.stop();
});

/** The trips to one table, in order (entity paths read `agentruns(PartitionKey=…)`). */
const tripsTo = (trips: string[], table: string) => trips.filter((t) => t.endsWith(` ${table}`));

const noteStep: RunSteps[number] = {
  tool: 'autotask.ticket.add_note',
  args: { ticketId: '{{event.entities.ticketId}}', title: 'Hub', description: 'Seen: {{event.subject}}' },
  requiresApproval: false,
};

/** The same event and run at another stage and step (what the next message would name). */
function at(ctx: StageContext, stage: 'agent_execution' | 'tool_call', step: string, stepIndex: number): StageContext {
  return { ...ctx, message: { ...ctx.message, stage, step, stepIndex } };
}

describe('agent run and ledger operations per event', () => {
  it('execution, tool call, execution: the run is read once per delivery and written from that read; the ledger is never read', async () => {
    const ctx = await storedRunContext({ tenantId, steps: [noteStep], stage: 'agent_execution', step: () => 's0' });
    const runId = ctx.run.id;

    const first = await tableTrips(async () => {
      expect(await agentExecutionWork(ctx)).toMatchObject({ kind: 'next', messages: [{ stage: 'tool_call' }] });
    });
    expect(tripsTo(first, 'agentruns')).toEqual(['GET agentruns']);

    const tool = await tableTrips(async () => {
      const result = await toolCallWork(at(ctx, 'tool_call', toolCallStep(runId, 0), 0));
      expect(result).toMatchObject({ kind: 'next', messages: [{ stage: 'agent_execution', step: 's1' }] });
    });
    expect(tripsTo(tool, 'agentruns')).toEqual(['GET agentruns', 'PUT agentruns']);
    expect(tripsTo(tool, 'toolwrites')).toEqual(['POST toolwrites', 'PUT toolwrites']);
    expect(autotask.received('POST', '/ATServicesRest/V1.0/Tickets/4711/Notes')).toHaveLength(1);

    const last = await tableTrips(async () => {
      expect(await agentExecutionWork(at(ctx, 'agent_execution', 's1', 1))).toMatchObject({
        kind: 'done',
        status: 'succeeded',
      });
    });
    expect(tripsTo(last, 'agentruns')).toEqual(['GET agentruns', 'PUT agentruns']);

    const run = await loadAgentRun(tenantId, runId);
    expect(run?.status).toBe('succeeded');
    expect(run?.progress[0]).toMatchObject({ status: 'succeeded' });
    expect(await readWrite({ tenantId, eventId: ctx.event.id, step: toolCallStep(runId, 0) })).toMatchObject({
      status: 'succeeded',
    });
  });

  it('a run changed after it was read is read again before the write: both changes are kept', async () => {
    const ctx = await storedRunContext({
      tenantId,
      steps: [noteStep, noteStep],
      stage: 'agent_execution',
      step: () => 's0',
    });
    const held = await loadAgentRun(tenantId, ctx.run.id);
    if (!held) throw new Error('no run');
    // Someone else (an approval, another copy of the message) writes between our read and our write.
    await updateAgentRun(tenantId, held.id, { stepIndex: 1, step: { status: 'skipped', summary: 'by another' } });
    const trips = await tableTrips(() =>
      updateAgentRun(tenantId, held.id, { stepIndex: 0, step: { status: 'succeeded', summary: 'ours' } }, held),
    );
    // The held ETag loses (412), the row is read again and the change applied to it.
    expect(tripsTo(trips, 'agentruns')).toEqual(['PUT agentruns', 'GET agentruns', 'PUT agentruns']);
    const run = await loadAgentRun(tenantId, held.id);
    expect(run?.progress.map((p) => [p.status, p.summary])).toEqual([
      ['succeeded', 'ours'],
      ['skipped', 'by another'],
    ]);
  });

  it('a claim settled after its row changed reads the row again; a claim of a taken row reads it and never writes twice', async () => {
    const address = { tenantId, eventId: `ev-${randomUUID()}`, step: 'run-x-0' };
    const what = { tool: 'autotask.ticket.add_note', vendor: 'autotask', integrationId: 'int-1', attempt: 0 };
    const claim = await claimWrite(address, what);
    if (claim.kind !== 'claimed' || !claim.row) throw new Error('not claimed with its row');

    // A second delivery of the same step finds the pending row: it reads and stops, it does not claim.
    const second = await tableTrips(async () => {
      expect(await claimWrite(address, what)).toMatchObject({ kind: 'unknown', attempt: 0 });
    });
    expect(tripsTo(second, 'toolwrites')).toEqual(['POST toolwrites', 'GET toolwrites']);

    // The row moves on under us (a settle from elsewhere): ours is re-read, not written blind.
    await settleWrite(address, { status: 'failed', error: 'refused' });
    const settle = await tableTrips(() =>
      settleWrite(address, { status: 'succeeded', result: { summary: 'note 1', output: {} } }, claim.row),
    );
    expect(tripsTo(settle, 'toolwrites')).toEqual(['PUT toolwrites', 'GET toolwrites', 'PUT toolwrites']);
    expect(await readWrite(address)).toMatchObject({ status: 'succeeded', summary: 'note 1' });
  });
});
