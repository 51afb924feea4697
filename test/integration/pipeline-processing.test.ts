import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentRun, toolCallStep } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import { approvalDeps } from '../../shared/approvals/deps';
import { approvalId, decideApproval, getApproval } from '../../shared/approvals/manage';
import { deadLetterInfo, type ReceivedMessage } from '../../shared/bus/port';
import { setProcessBus } from '../../shared/bus/process-bus';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { resetSettingsCache } from '../../shared/config/settings';
import { resetCredentialCipher } from '../../shared/crypto/credential-cipher';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { createEvent, loadEvent, updateEvent } from '../../shared/inbound/event-store';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/manage';
import { type NormalizedEvent, STAGE_QUEUES, type Stage } from '../../shared/pipeline/contract';
import { sendToStage, stageHandler } from '../../shared/pipeline/stage-runner';
import { agentDispatchWork } from '../../shared/pipeline/stages/agent-dispatch';
import { agentExecutionWork } from '../../shared/pipeline/stages/agent-execution';
import { sopMatchingWork } from '../../shared/pipeline/stages/sop-matching';
import { CRASH_AFTER_VENDOR_WRITE, toolCallWork } from '../../shared/pipeline/stages/tool-call';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/manage';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { readWrite } from '../../shared/tools/ledger';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { DattoEdrFake, FAKE_DATTO_EDR_CREDENTIALS } from '../fakes/datto-edr';
import { PrefixedBus } from '../support/prefixed-bus';
import { eventually } from '../support/wait';

/**
 * The processing stages (SOP matching → agent dispatch → agent execution → tool call) on the
 * emulated bus with real Azurite and the fake vendors, wired exactly as functions/pipeline-stages.ts
 * wires them, except for a short backoff so the 3 planned retries take seconds, not minutes.
 * Events are stored as the validation stage leaves them (normalised, at `sop_matching`).
 */
const connection = process.env.TEST_STORAGE_CONNECTION!;
const account = storageAccountFromConnectionString(connection);
const tenantId = `proc-${randomUUID().slice(0, 8)}`;
const principal: Principal = { tenantId, keyId: 'test-key', scopes: ['admin'] };
const FAST = { baseMs: 100, maxMs: 400, maxRetries: 3 };

const autotask = new AutotaskFake();
const edr = new DattoEdrFake();
const deadLetters: Array<{ queue: string; eventId: string; reason: string; description: string }> = [];
const consumers: Array<{ stop(): Promise<void> }> = [];
let bus: PrefixedBus;

const WORK: Record<Exclude<Stage, 'validation'>, Parameters<typeof stageHandler>[1]> = {
  sop_matching: sopMatchingWork,
  agent_dispatch: agentDispatchWork,
  agent_execution: agentExecutionWork,
  tool_call: toolCallWork,
};

beforeAll(async () => {
  Object.assign(process.env, {
    DataStorage: connection,
    BUS_MODE: 'storage-queues',
    HUB_ENVIRONMENT: 'development',
    CREDENTIAL_ENCRYPTION_KEY: generateFernetKey(),
    LOG_LEVEL: 'warn',
  });
  resetSettingsCache();
  resetCredentialCipher();
  // Queue names prefixed for this file: other workers' hosts consume the same stage queues.
  bus = new PrefixedBus(new StorageQueueBus(account, { lockDurationSeconds: 5, maxHideSeconds: 1 }));
  setProcessBus(bus);
  setCrashHandler((name) => {
    throw new Error(`crash point ${name}`);
  });
  await autotask.start();
  await edr.start();
  await createIntegration(
    integrationDeps(),
    principal,
    {
      vendor: 'autotask',
      name: 'Autotask',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: autotask.baseUrl },
    },
    { skipTest: true, correlationId: 'setup' },
  );
  await createIntegration(
    integrationDeps(),
    principal,
    { vendor: 'datto-edr', name: 'EDR', credentials: FAKE_DATTO_EDR_CREDENTIALS, config: { baseUrl: edr.baseUrl } },
    { skipTest: true, correlationId: 'setup' },
  );
  await createSop(
    sopDeps(),
    principal,
    {
      name: 'Disk full: note on the ticket',
      enabled: true,
      match: { source: 'autotask', eventTypes: ['ticket.created'], keywords: ['disk_full'], priority: 100 },
      steps: [
        {
          tool: 'autotask.ticket.add_note',
          args: { ticketId: '{{event.entities.ticketId}}', title: 'Hub', description: 'Seen: {{event.subject}}' },
          requiresApproval: false,
        },
        {
          // Skipped: the condition does not hold for these events.
          tool: 'autotask.ticket.update_status',
          args: { ticketId: '{{event.entities.ticketId}}', status: 5 },
          condition: { field: 'event.severity', op: 'eq', value: 'critical' },
          requiresApproval: false,
        },
      ],
    },
    'setup',
  );
  await createSop(
    sopDeps(),
    principal,
    {
      name: 'Ransomware: isolate the host',
      enabled: true,
      match: { source: 'autotask', keywords: ['ransomware'], priority: 100 },
      steps: [
        { tool: 'datto-edr.host.isolate', args: { agentId: '{{event.entities.agentId}}' }, requiresApproval: false },
      ],
    },
    'setup',
  );
  for (const [stage, work] of Object.entries(WORK) as Array<[Stage, Parameters<typeof stageHandler>[1]]>) {
    const queue = STAGE_QUEUES[stage];
    consumers.push(
      bus.inner.startConsumer(bus.queue(queue), stageHandler(stage, work, { bus: () => bus, policy: FAST }), {
        pollIntervalMs: 50,
        maxPollIntervalMs: 200,
      }),
    );
    consumers.push(
      bus.inner.startConsumer(
        bus.queue(`${queue}-deadletter`),
        async (message: ReceivedMessage) => {
          const info = deadLetterInfo(message);
          deadLetters.push({
            queue,
            eventId: String(message.applicationProperties.eventId ?? ''),
            reason: info?.reason ?? '',
            description: info?.description ?? '',
          });
          return { kind: 'complete' };
        },
        { pollIntervalMs: 50, maxPollIntervalMs: 200 },
      ),
    );
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await autotask.stop();
  await edr.stop();
  disarmCrashPoints();
  setProcessBus(undefined);
});

/** An Autotask ticket event as validation leaves it, sent on to SOP matching. */
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
    subject: 'Disk full on SRV01',
    severity: 'high',
    entities: { ticketId: '123' },
    keywords: ['disk_full'],
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

async function settled(eventId: string, statuses = ['succeeded', 'failed']) {
  return eventually(async () => {
    const event = await loadEvent(tenantId, eventId);
    return event && statuses.includes(event.status) ? event : undefined;
  }, 60_000);
}

const notes = (ticketId: string) => autotask.received('POST', `/ATServicesRest/V1.0/Tickets/${ticketId}/Notes`);
const deadLetterOf = (eventId: string) => eventually(() => deadLetters.find((d) => d.eventId === eventId), 30_000);

describe('processing stages', () => {
  it('a matching event runs its SOP: one note on the ticket, the conditional step skipped, event and run succeeded', async () => {
    const eventId = await submit({ entities: { ticketId: '123' } });
    const event = await settled(eventId);
    expect(event.status).toBe('succeeded');
    expect(notes('123')).toHaveLength(1);
    expect(notes('123')[0]!.json).toEqual({
      TicketID: 123,
      Title: 'Hub',
      Description: 'Seen: Disk full on SRV01',
      NoteType: 1,
      Publish: 1,
    });
    expect(autotask.count('PATCH', '/ATServicesRest/V1.0/Tickets')).toBe(0);
    const run = await loadAgentRun(tenantId, event.agentRunId!);
    expect(run?.status).toBe('succeeded');
    expect(run?.progress.map((p) => p.status)).toEqual(['succeeded', 'skipped']);
    expect(event.sopId).toBe(run?.sopId);
  });

  it('no matching SOP dead-letters at sop_matching with no_sop_matched, naming the closest SOP', async () => {
    const eventId = await submit({ keywords: ['printer_jam'], subject: 'Printer jammed' });
    const event = await settled(eventId);
    expect(event).toMatchObject({ status: 'failed', stage: 'sop_matching' });
    const dead = await deadLetterOf(eventId);
    expect(dead).toMatchObject({ queue: 'sop-matching', reason: 'no_sop_matched' });
    expect(dead.description).toContain('keywords: printer_jam');
    expect(dead.description).toMatch(/Closest: "Disk full: note on the ticket" \(\w+, score 0\.67\)/);
  });

  it('a tool that always answers 503 is called exactly 4 times, then dead-letters as vendor_unavailable', async () => {
    autotask.injectFault({ kind: 'status', status: 503 }, { path: '/ATServicesRest/V1.0/Tickets/503/Notes' });
    const eventId = await submit({ entities: { ticketId: '503' } });
    const event = await settled(eventId);
    expect(event).toMatchObject({ status: 'failed', stage: 'tool_call' });
    const dead = await deadLetterOf(eventId);
    expect(dead).toMatchObject({ queue: 'tool-call', reason: 'vendor_unavailable' });
    expect(dead.description).toContain('gave up after 4 attempts');
    expect(notes('503')).toHaveLength(4);
  });

  it('a tool that answers 503 twice and then 200 succeeds on the third call', async () => {
    autotask.injectFault(
      { kind: 'status', status: 503 },
      { path: '/ATServicesRest/V1.0/Tickets/2503/Notes', times: 2 },
    );
    const eventId = await submit({ entities: { ticketId: '2503' } });
    expect((await settled(eventId)).status).toBe('succeeded');
    expect(notes('2503')).toHaveLength(3);
  });

  it('a 401 dead-letters at once as tool_config_error', async () => {
    autotask.injectFault({ kind: 'status', status: 401 }, { path: '/ATServicesRest/V1.0/Tickets/401/Notes' });
    const eventId = await submit({ entities: { ticketId: '401' } });
    expect(await settled(eventId)).toMatchObject({ status: 'failed', stage: 'tool_call' });
    const dead = await deadLetterOf(eventId);
    expect(dead).toMatchObject({ queue: 'tool-call', reason: 'tool_config_error' });
    expect(dead.description).toContain('HTTP 401');
    expect(notes('401')).toHaveLength(1);
  });

  it('a crash after the vendor write and before its outcome is recorded ends outcome_unknown, with one write', async () => {
    armCrashPoint(CRASH_AFTER_VENDOR_WRITE);
    const eventId = await submit({ entities: { ticketId: '777' } });
    expect(await settled(eventId)).toMatchObject({ status: 'failed', stage: 'tool_call' });
    const dead = await deadLetterOf(eventId);
    expect(dead).toMatchObject({ queue: 'tool-call', reason: 'outcome_unknown' });
    expect(dead.description).toContain('whether ticket 777 has a note titled "Hub"');
    expect(notes('777')).toHaveLength(1);
    const event = await loadEvent(tenantId, eventId);
    const ledger = await readWrite({ tenantId, eventId, step: toolCallStep(event!.agentRunId!, 0) });
    expect(ledger?.status).toBe('pending');
  });

  it('isolating a host waits for an approval; approving runs it once and the event succeeds', async () => {
    const eventId = await submit({ keywords: ['ransomware'], subject: 'Ransomware', entities: { agentId: 'agent-7' } });
    await settled(eventId, ['awaiting_approval']);
    expect(edr.count('POST', '/api/Agents/toggleIsolation')).toBe(0);
    const id = approvalId(eventId, 0);
    expect(await getApproval(approvalDeps(), tenantId, id)).toMatchObject({
      status: 'pending',
      tool: 'datto-edr.host.isolate',
      args: { agentId: 'agent-7' },
    });
    await decideApproval(approvalDeps(), principal, id, 'approved', 'go', 'test');
    // Approving again is the same decision: no error, no second call.
    await decideApproval(approvalDeps(), principal, id, 'approved', undefined, 'test');
    expect((await settled(eventId)).status).toBe('succeeded');
    expect(edr.received('POST', '/api/Agents/toggleIsolation').map((r) => r.json)).toEqual([
      { ids: ['agent-7'], isolated: true },
    ]);
    await expect(decideApproval(approvalDeps(), principal, id, 'rejected', undefined, 'test')).rejects.toMatchObject({
      code: 'approval_already_decided',
    });
  });

  it('rejecting an approval fails the event as approval_rejected without calling the vendor', async () => {
    const eventId = await submit({ keywords: ['ransomware'], subject: 'Ransomware', entities: { agentId: 'agent-9' } });
    await settled(eventId, ['awaiting_approval']);
    await decideApproval(approvalDeps(), principal, approvalId(eventId, 0), 'rejected', 'false positive', 'test');
    expect(await settled(eventId)).toMatchObject({ status: 'failed', stage: 'agent_execution' });
    const dead = await deadLetterOf(eventId);
    expect(dead).toMatchObject({ queue: 'agent-execution', reason: 'approval_rejected' });
    expect(dead.description).toContain('"false positive"');
    expect(
      edr.received('POST', '/api/Agents/toggleIsolation').filter((r) => JSON.stringify(r.json).includes('agent-9')),
    ).toHaveLength(0);
  });
});
