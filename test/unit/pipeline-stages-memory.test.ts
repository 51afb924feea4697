import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentRun } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import { approvalId, decideApproval } from '../../shared/approvals/approvals';
import { approvalDeps } from '../../shared/approvals/deps';
import type { QueueConsumer } from '../../shared/bus/consumer';
import type { MemoryBus } from '../../shared/bus/memory-bus';
import { deadLetterInfo, deadLetterQueueName } from '../../shared/bus/port';
import { type NormalizedEvent, STAGE_QUEUES, type Stage } from '../../shared/events/contract';
import { createEvent, loadEvent, updateEvent } from '../../shared/events/event-store';
import { sendToStage } from '../../shared/events/stage-messages';
import { stageHandler } from '../../shared/pipeline/stage-runner';
import { agentDispatchWork } from '../../shared/pipeline/stages/agent-dispatch';
import { agentExecutionWork } from '../../shared/pipeline/stages/agent-execution';
import { sopMatchingWork } from '../../shared/pipeline/stages/sop-matching';
import { toolCallWork } from '../../shared/pipeline/stages/tool-call';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/sops';
import { installMemoryServices } from '../support/memory-services';
import { eventually, Signals } from '../support/wait';

/**
 * The four processing stages wired as functions/pipeline-stages.ts wires them — the real stage
 * runner, SOPs, runs, approvals and timeline — on the in-memory storage account and bus. The paths
 * here never reach a vendor (no integration, an approval, a rejection), so nothing leaves the
 * process; the vendor paths run with the fakes in test/integration/pipeline-processing.test.ts.
 */
const tenantId = `mem-${randomUUID().slice(0, 8)}`;
const principal: Principal = { tenantId, keyId: 'test-key', scopes: ['admin'] };
const WORK = {
  sop_matching: sopMatchingWork,
  agent_dispatch: agentDispatchWork,
  agent_execution: agentExecutionWork,
  tool_call: toolCallWork,
} as const;
let bus: MemoryBus;
const consumers: QueueConsumer[] = [];
const deadLetters = new Signals<{ queue: string; eventId: string; reason: string }>();

beforeAll(async () => {
  process.env.LOG_LEVEL = 'error';
  bus = installMemoryServices().bus;
  for (const [stage, work] of Object.entries(WORK) as Array<[Exclude<Stage, 'validation'>, typeof sopMatchingWork]>) {
    const queue = STAGE_QUEUES[stage];
    consumers.push(bus.startConsumer(queue, stageHandler(stage, work, { bus: () => bus }), { pollIntervalMs: 5 }));
    consumers.push(
      bus.startConsumer(
        deadLetterQueueName(queue),
        async (message) => {
          deadLetters.push({
            queue,
            eventId: String(message.applicationProperties.eventId ?? ''),
            reason: deadLetterInfo(message)?.reason ?? '',
          });
          return { kind: 'complete' };
        },
        { pollIntervalMs: 5 },
      ),
    );
  }
  const setup = 'setup';
  await createSop(
    sopDeps(),
    principal,
    {
      name: 'Switch down: restart it',
      enabled: true,
      match: { source: 'autotask', keywords: ['switch_down'], priority: 10 },
      steps: [
        {
          tool: 'unifi.device.restart',
          args: { siteId: 'default', deviceId: '{{event.entities.deviceId}}' },
          requiresApproval: false,
        },
      ],
    },
    setup,
  );
  await createSop(
    sopDeps(),
    principal,
    {
      name: 'Disk full: note it after approval',
      enabled: true,
      match: { source: 'autotask', keywords: ['disk_full'], priority: 10 },
      steps: [
        {
          tool: 'autotask.ticket.add_note',
          args: { ticketId: '{{event.entities.ticketId}}', description: 'seen' },
          requiresApproval: true,
        },
      ],
    },
    setup,
  );
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
});

async function submit(overrides: Partial<NormalizedEvent>): Promise<string> {
  const { view } = await createEvent({
    tenantId,
    source: 'autotask',
    webhookId: null,
    integrationId: null,
    trigger: 'vendor',
    replayOf: null,
    correlationId: `corr-${randomUUID()}`,
    dedupKey: null,
    bodyText: '{}',
  });
  const normalized: NormalizedEvent = {
    source: 'autotask',
    type: 'ticket.created',
    subject: 'Something happened',
    severity: 'high',
    entities: {},
    keywords: [],
    fields: {},
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
  await updateEvent(tenantId, view.id, {
    normalized,
    type: normalized.type,
    status: 'processing',
    stage: 'sop_matching',
  });
  await sendToStage(bus, tenantId, view.id, { stage: 'sop_matching', step: 'main' });
  return view.id;
}

const inStatus = (eventId: string, statuses: string[]) =>
  eventually(async () => {
    const event = await loadEvent(tenantId, eventId);
    return event && statuses.includes(event.status) ? event : undefined;
  });

describe('processing stages on memory', () => {
  it('a step whose vendor has no integration fails the event at tool_call as integration_missing, dead-lettered once', async () => {
    const dead = deadLetters.next((d) => d.queue === STAGE_QUEUES.tool_call);
    const eventId = await submit({ keywords: ['switch_down'], entities: { deviceId: 'sw-1' } });
    const event = await inStatus(eventId, ['failed']);
    expect(event.stage).toBe('tool_call');
    expect(await dead).toMatchObject({ eventId, reason: 'integration_missing' });
    expect(deadLetters.seen.filter((d) => d.eventId === eventId)).toHaveLength(1);
    expect((await loadAgentRun(tenantId, event.agentRunId!))?.status).toBe('failed');
  });

  it('no SOP for the event dead-letters at sop_matching with no_sop_matched', async () => {
    const dead = deadLetters.next((d) => d.queue === STAGE_QUEUES.sop_matching);
    const eventId = await submit({ keywords: ['printer_jam'] });
    await inStatus(eventId, ['failed']);
    expect(await dead).toMatchObject({ eventId, reason: 'no_sop_matched' });
  });

  it('a step that needs approval waits; a rejection fails the event as approval_rejected', async () => {
    const eventId = await submit({ keywords: ['disk_full'], entities: { ticketId: '42' } });
    const waiting = await inStatus(eventId, ['awaiting_approval']);
    expect((await loadAgentRun(tenantId, waiting.agentRunId!))?.status).toBe('awaiting_approval');
    const dead = deadLetters.next((d) => d.queue === STAGE_QUEUES.agent_execution && d.eventId === eventId);
    await decideApproval(approvalDeps(), principal, approvalId(eventId, 0), 'rejected', 'no', 'corr');
    await inStatus(eventId, ['failed']);
    expect(await dead).toMatchObject({ reason: 'approval_rejected' });
  });
});
