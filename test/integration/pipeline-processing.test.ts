import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentRun, toolCallStep } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import { approvalId, decideApproval, getApproval } from '../../shared/approvals/approvals';
import { approvalDeps } from '../../shared/approvals/deps';
import { setProcessBus } from '../../shared/bus/process-bus';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import type { NormalizedEvent } from '../../shared/events/contract';
import { loadEvent } from '../../shared/events/event-store';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { CRASH_AFTER_VENDOR_WRITE } from '../../shared/pipeline/stages/tool-call';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/sops';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { readWrite } from '../../shared/tools/ledger';
import { AutotaskFake } from '../fakes/autotask';
import { DattoEdrFake } from '../fakes/datto-edr';
import { installLocalSettings } from '../support/local-settings';
import { PrefixedBus } from '../support/prefixed-bus';
import {
  connectFakeVendors,
  createIsolateHostSop,
  type DeadLetterRow,
  eventInStatus,
  type ProcessingStages,
  startProcessingStages,
  submitAtSopMatching,
} from '../support/processing-stages';
import { eventually } from '../support/wait';

/**
 * The processing stages (SOP matching → agent dispatch → agent execution → tool call) on the
 * emulated bus with real Azurite and the fake vendors, wired exactly as functions/pipeline-stages-queue.ts
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
let stages: ProcessingStages | undefined;
let deadLetters: DeadLetterRow[] = [];
let bus: PrefixedBus;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'warn';
  installLocalSettings();
  // Queue names prefixed for this file: other workers' hosts consume the same stage queues.
  bus = new PrefixedBus(new StorageQueueBus(account, { lockDurationSeconds: 5, maxHideSeconds: 1 }));
  setProcessBus(bus);
  setCrashHandler((name) => {
    throw new Error(`crash point ${name}`);
  });
  await autotask.start();
  await edr.start();
  await connectFakeVendors(principal, autotask, edr);
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
  await createIsolateHostSop(principal);
  stages = startProcessingStages(bus, FAST);
  deadLetters = stages.deadLetters;
}, 60_000);

afterAll(async () => {
  await stages?.stop();
  await autotask.stop();
  await edr.stop();
  disarmCrashPoints();
  setProcessBus(undefined);
});

const submit = (overrides: Partial<NormalizedEvent>) =>
  submitAtSopMatching(bus, tenantId, overrides, new Date().toISOString());
const settled = (eventId: string, statuses = ['succeeded', 'failed']) =>
  eventInStatus(tenantId, eventId, statuses, 60_000);

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
