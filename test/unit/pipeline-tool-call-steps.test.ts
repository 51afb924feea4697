import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAgentRun, toolCallStep } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import { FAILURE_PROPERTIES, type NormalizedEvent } from '../../shared/events/contract';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import type { StageContext } from '../../shared/pipeline/stage-runner';
import {
  advance,
  claimStepWrite,
  endStep,
  type Failure,
  loadStepToRun,
  openStepSession,
  renderStepArguments,
  type StepToRun,
  toolCallWork,
  vendorFailure,
} from '../../shared/pipeline/stages/tool-call';
import { findTool } from '../../shared/tools/catalog';
import type { ToolDefinition } from '../../shared/tools/definition';
import { readWrite, settleWrite } from '../../shared/tools/ledger';
import { VendorError, type VendorErrorKind } from '../../shared/vendors/contract';
import { installMemoryServices } from '../support/memory-services';
import { type RunSteps, storedRunContext } from '../support/stored-run';

/**
 * The tool-call stage's steps (shared/pipeline/stages/tool-call.ts) on the in-memory storage
 * account: the real agent runs, event store, integrations and vendor-write ledger, no Azurite and
 * no vendor. The vendor call itself (callTool) needs a vendor and is covered with the fakes in
 * test/integration/pipeline-processing.test.ts.
 */
const tenantId = `unit-${randomUUID().slice(0, 8)}`;
const principal: Principal = { tenantId, keyId: 'test-key', scopes: ['admin'] };
const addNote = findTool('autotask.ticket.add_note')!;
let autotaskId: string;
let edrId: string;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'error';
  installMemoryServices();
  const setup = { skipTest: true, correlationId: 'setup' };
  // Never contacted: creation skips the connection test and no step here calls the vendor.
  autotaskId = (
    await createIntegration(
      integrationDeps(),
      principal,
      {
        vendor: 'autotask',
        name: 'Autotask',
        credentials: { username: 'api@example.com', secret: 'unit-secret', integrationCode: 'UNITCODE' },
        config: { baseUrl: 'http://127.0.0.1:9' },
      },
      setup,
    )
  ).id;
  edrId = (
    await createIntegration(
      integrationDeps(),
      principal,
      {
        vendor: 'datto-edr',
        name: 'EDR',
        credentials: { apiToken: 'unit-edr-token' },
        // Datto EDR does not report token expiry, so a new integration states it (docs/integrations.md).
        config: { baseUrl: 'http://127.0.0.1:9', tokenExpiresAt: '2099-12-31' },
      },
      setup,
    )
  ).id;
});

type Steps = RunSteps;

/** The tool-call context of step `index` of a run of `steps` (null: a message naming no step). */
function stepContext(steps: Steps, index: number | null = 0, event: Partial<NormalizedEvent> = {}) {
  return storedRunContext({
    tenantId,
    steps,
    stage: 'tool_call',
    step: (run) => (index === null ? 'nowhere' : toolCallStep(run.id, index)),
    ...(index === null ? {} : { stepIndex: index }),
    event,
  });
}

const noteStep = (args: Record<string, unknown> = {}, extra: Partial<Steps[number]> = {}): Steps[number] => ({
  tool: 'autotask.ticket.add_note',
  args: { ticketId: '{{event.entities.ticketId}}', description: 'Hub saw: {{event.subject}}', ...args },
  requiresApproval: false,
  ...extra,
});

async function at(ctx: StageContext): Promise<StepToRun> {
  const found = await loadStepToRun(ctx);
  if ('kind' in found) throw new Error(`no step: ${found.message}`);
  return found;
}

const isFail = (value: object): value is Failure => 'kind' in value && value.kind === 'fail';

describe('tool call: loadStepToRun', () => {
  it('finds the run and step a message names', async () => {
    const ctx = await stepContext([noteStep()]);
    const found = await at(ctx);
    expect(found.index).toBe(0);
    expect(found.step.tool).toBe('autotask.ticket.add_note');
  });

  it('a message naming no step of an existing run is an internal error, not retried', async () => {
    const missingIndex = await stepContext([noteStep()], null);
    const result = await loadStepToRun(missingIndex);
    expect(result).toMatchObject({ kind: 'fail', errorType: 'internal_error', transient: false });
    const pastTheEnd = await stepContext([noteStep()], 3);
    expect(await loadStepToRun(pastTheEnd)).toMatchObject({ kind: 'fail', errorType: 'internal_error' });
  });
});

describe('tool call: renderStepArguments', () => {
  it('renders the templates from the stored event and applies the tool schema defaults', async () => {
    const ctx = await stepContext([noteStep()]);
    const rendered = await renderStepArguments(ctx, await at(ctx), addNote, {});
    expect(rendered).toEqual({
      args: {
        ticketId: 4711,
        description: 'Hub saw: Disk full on SRV01',
        title: 'MSP Integration Hub',
        noteType: 1,
        publish: 1,
      },
    });
  });

  it('an argument invalid after rendering names the step, the SOP and the argument', async () => {
    const ctx = await stepContext([noteStep({ publish: '7' })]);
    const rendered = await renderStepArguments(ctx, await at(ctx), addNote, { tool: addNote.id });
    expect(rendered).toMatchObject({ kind: 'fail', errorType: 'tool_execution_error', transient: false });
    expect(isFail(rendered) && rendered.message).toMatch(/Step 1 of SOP "Disk full": argument "publish"/);
  });

  it('a template naming what the event lacks is a tool execution error, not a crash', async () => {
    const ctx = await stepContext([noteStep({ ticketId: '{{event.entities.nothingHere}}' })]);
    const rendered = await renderStepArguments(ctx, await at(ctx), addNote, {});
    expect(rendered).toMatchObject({ kind: 'fail', errorType: 'tool_execution_error' });
  });
});

describe('tool call: openStepSession', () => {
  it("uses the vendor's integration when the step names none and the event has none", async () => {
    const ctx = await stepContext([noteStep()]);
    const opened = await openStepSession(ctx, await at(ctx), addNote, {});
    expect(isFail(opened) ? opened.message : opened.integrationId).toBe(autotaskId);
  });

  it('a named integration that does not exist is integration_missing', async () => {
    const ctx = await stepContext([noteStep({}, { integrationId: 'int-does-not-exist' })]);
    const opened = await openStepSession(ctx, await at(ctx), addNote, {});
    expect(opened).toMatchObject({ kind: 'fail', errorType: 'integration_missing', transient: false });
    expect(isFail(opened) && opened.message).toContain('int-does-not-exist');
  });

  it('a named integration of another vendor is a configuration error naming both', async () => {
    const ctx = await stepContext([noteStep({}, { integrationId: edrId })]);
    const opened = await openStepSession(ctx, await at(ctx), addNote, {});
    expect(opened).toMatchObject({ kind: 'fail', errorType: 'tool_config_error' });
    expect(isFail(opened) && opened.message).toContain('datto-edr integration');
  });

  it('with no integration of the vendor at all, says how to connect one', async () => {
    const restart = findTool('unifi.device.restart')!;
    const ctx = await stepContext([{ tool: restart.id, args: {}, requiresApproval: false }]);
    const opened = await openStepSession(ctx, await at(ctx), restart, {});
    expect(opened).toMatchObject({ kind: 'fail', errorType: 'integration_missing', transient: false });
    expect(isFail(opened) && opened.message).toMatch(/No unifi integration is connected.*name integrationId in step 1/);
  });
});

describe('tool call: claimStepWrite (the vendor-write ledger)', () => {
  it('the first delivery may call; after a recorded success a redelivery reuses the result', async () => {
    const ctx = await stepContext([noteStep()]);
    const first = await claimStepWrite(ctx, addNote, {}, autotaskId, {});
    expect(first).toMatchObject({ kind: 'call', claim: { value: { status: 'pending', attempt: 0 } } });
    // The claim carries its row's ETag, so settling it needs no read (docs/pipeline.md).
    expect(first.kind === 'call' && first.claim?.etag).toBeTruthy();
    const address = { tenantId, eventId: ctx.event.id, step: ctx.message.step };
    await settleWrite(address, { status: 'succeeded', result: { summary: 'note 9 added', output: { noteId: 9 } } });
    expect(await claimStepWrite(ctx, addNote, {}, autotaskId, {})).toEqual({
      kind: 'done',
      result: { summary: 'note 9 added', output: { noteId: 9 } },
    });
  });

  it('a claim left pending (the process died mid-call) is outcome_unknown, never a second call', async () => {
    const ctx = await stepContext([noteStep()]);
    expect(await claimStepWrite(ctx, addNote, { ticketId: '4711', title: 'T' }, autotaskId, {})).toMatchObject({
      kind: 'call',
    });
    const again = await claimStepWrite(ctx, addNote, { ticketId: '4711', title: 'T' }, autotaskId, {});
    expect(again).toMatchObject({ kind: 'fail', errorType: 'outcome_unknown', transient: false });
    expect(isFail(again) && again.message).toMatch(/never recorded its outcome.*replay the event/);
  });

  it('a write the vendor refused may be claimed again; a read-only tool never touches the ledger', async () => {
    const ctx = await stepContext([noteStep()]);
    await claimStepWrite(ctx, addNote, {}, autotaskId, {});
    const address = { tenantId, eventId: ctx.event.id, step: ctx.message.step };
    await settleWrite(address, { status: 'failed', error: 'refused' });
    expect(await claimStepWrite(ctx, addNote, {}, autotaskId, {})).toMatchObject({
      kind: 'call',
      claim: { value: { status: 'pending' } },
    });

    const reader: ToolDefinition = { ...addNote, writes: false };
    const other = await stepContext([noteStep()]);
    expect(await claimStepWrite(other, reader, {}, autotaskId, {})).toEqual({ kind: 'call' });
    expect(await readWrite({ tenantId, eventId: other.event.id, step: other.message.step })).toBeUndefined();
  });
});

describe('tool call: vendorFailure', () => {
  const cases: Array<[VendorErrorKind, number | undefined, string, boolean]> = [
    ['auth', 401, 'tool_config_error', false],
    ['forbidden', 403, 'tool_config_error', false],
    ['not_found', 404, 'tool_config_error', false],
    ['blocked', undefined, 'tool_config_error', false],
    ['unavailable', 503, 'vendor_unavailable', true],
    ['timeout', undefined, 'vendor_unavailable', true],
    ['network', undefined, 'vendor_unavailable', true],
    ['rate_limited', 429, 'rate_limited', true],
    ['rejected', 400, 'tool_execution_error', false],
    ['bad_response', 200, 'tool_execution_error', false],
  ];
  it.each(cases)('%s (HTTP %s) → %s, transient %s', (kind, httpStatus, errorType, transient) => {
    const error = new VendorError({
      vendor: 'autotask',
      operation: 'tickets.addNote',
      kind,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      vendorMessage: 'the vendor said no',
      ...(kind === 'rate_limited' ? { retryAfterMs: 30_000 } : {}),
    });
    const failure = vendorFailure(error, addNote, { tool: addNote.id });
    expect(failure).toMatchObject({ kind: 'fail', errorType, transient });
    expect(failure.message).toContain('the vendor said no');
    if (httpStatus !== undefined) expect(failure.properties?.[FAILURE_PROPERTIES.vendorStatus]).toBe(httpStatus);
    if (kind === 'rate_limited') expect(failure.retryAfterMs).toBe(30_000);
  });
});

describe('tool call: endStep and advance (the run as the step leaves it)', () => {
  it('a final failure fails the run at the step; a retried one leaves it running', async () => {
    const ctx = await stepContext([noteStep()]);
    const found = await at(ctx);
    const retried: Failure = { kind: 'fail', errorType: 'vendor_unavailable', message: '503', transient: true };
    await endStep(tenantId, found, retried);
    expect((await loadAgentRun(tenantId, found.run.id))?.status).toBe('running');
    const final: Failure = { kind: 'fail', errorType: 'tool_config_error', message: '401', transient: false };
    await endStep(tenantId, found, final);
    const run = await loadAgentRun(tenantId, found.run.id);
    expect(run?.status).toBe('failed');
    expect(run?.progress[0]).toMatchObject({ status: 'failed', error: '401' });
  });

  it('a success records the step and hands the next one to agent execution', async () => {
    const ctx = await stepContext([noteStep(), noteStep()]);
    const found = await at(ctx);
    const next = await advance(
      ctx,
      found.run,
      0,
      addNote,
      { summary: 'note 1 added', output: { noteId: 1 } },
      autotaskId,
    );
    expect(next).toMatchObject({
      kind: 'next',
      messages: [{ stage: 'agent_execution', step: 's1', agentRunId: found.run.id, stepIndex: 1 }],
    });
    const run = await loadAgentRun(tenantId, found.run.id);
    expect(run?.progress[0]).toMatchObject({ status: 'succeeded', summary: 'note 1 added', integrationId: autotaskId });
  });
});

describe('tool call: the stage end to end without a vendor call', () => {
  it('an unknown tool fails the run at its step, naming the SOP', async () => {
    const ctx = await stepContext([{ tool: 'autotask.ticket.teleport', args: {}, requiresApproval: false }]);
    const result = await toolCallWork(ctx);
    expect(result).toMatchObject({ kind: 'fail', errorType: 'tool_execution_error', transient: false });
    expect((await loadAgentRun(tenantId, ctx.message.agentRunId!))?.status).toBe('failed');
  });

  it('a write an earlier delivery recorded is not called again: the stage advances with its result', async () => {
    const ctx = await stepContext([noteStep()]);
    await claimStepWrite(ctx, addNote, {}, autotaskId, {});
    await settleWrite(
      { tenantId, eventId: ctx.event.id, step: ctx.message.step },
      { status: 'succeeded', result: { summary: 'note 5 added', output: { noteId: 5 } } },
    );
    const result = await toolCallWork(ctx);
    expect(result).toMatchObject({ kind: 'next', detail: `autotask.ticket.add_note via ${autotaskId}: note 5 added` });
  });
});
