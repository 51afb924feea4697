import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRunId, loadAgentRun, toolCallStep } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import { APPROVAL_TTL_MS, approvalId, decideApproval, getApproval } from '../../shared/approvals/approvals';
import { approvalDeps } from '../../shared/approvals/deps';
import { setProcessBus } from '../../shared/bus/process-bus';
import { NOT_DUE_HIDDEN_AGAIN, StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { installClock, ManualClock } from '../../shared/clock';
import type { NormalizedEvent } from '../../shared/events/contract';
import { loadEvent } from '../../shared/events/event-store';
import { loadTimeline } from '../../shared/events/timeline';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/sops';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
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
import { eventually, Signals } from '../support/wait';

/**
 * The processing stages where time matters, on the emulated bus with a ManualClock: a vendor's 429
 * is retried after its Retry-After and not a millisecond sooner, and an approval nobody decides
 * fails the event as `approval_expired` once the clock passes its expiry. The bus hides a
 * scheduled message for at most 1 s of real time and re-checks it against the clock, so "not
 * before its time" is watching it hidden again twice with the clock 1 ms short (as
 * test/integration/bus-retry.test.ts does).
 */
const connection = process.env.TEST_STORAGE_CONNECTION!;
const account = storageAccountFromConnectionString(connection);
const tenantId = `clk-${randomUUID().slice(0, 8)}`;
const principal: Principal = { tenantId, keyId: 'test-key', scopes: ['admin'] };
const POLICY = { baseMs: 100, maxMs: 400, maxRetries: 3 };

const autotask = new AutotaskFake();
const edr = new DattoEdrFake();
const clock = new ManualClock(Date.now());
const hidden = new Signals<string>();
let stages: ProcessingStages | undefined;
let deadLetters: DeadLetterRow[] = [];
let restoreClock: () => void;
let bus: PrefixedBus;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'warn';
  installLocalSettings();
  restoreClock = installClock(clock);
  bus = new PrefixedBus(
    new StorageQueueBus(account, {
      lockDurationSeconds: 5,
      maxHideSeconds: 1,
      log: (_level, message, fields) => {
        if (message === NOT_DUE_HIDDEN_AGAIN) hidden.push(String(fields?.messageId));
      },
    }),
  );
  setProcessBus(bus);
  await autotask.start();
  await edr.start();
  await connectFakeVendors(principal, autotask, edr);
  await createSop(
    sopDeps(),
    principal,
    {
      name: 'Disk full: note on the ticket',
      enabled: true,
      match: { source: 'autotask', keywords: ['disk_full'], priority: 100 },
      steps: [
        {
          tool: 'autotask.ticket.add_note',
          args: { ticketId: '{{event.entities.ticketId}}', title: 'Hub', description: 'Seen: {{event.subject}}' },
          requiresApproval: false,
        },
      ],
    },
    'setup',
  );
  await createIsolateHostSop(principal);
  stages = startProcessingStages(bus, POLICY);
  deadLetters = stages.deadLetters;
}, 60_000);

afterAll(async () => {
  await stages?.stop();
  await autotask.stop();
  await edr.stop();
  setProcessBus(undefined);
  restoreClock?.();
});

const submit = (overrides: Partial<NormalizedEvent>) =>
  submitAtSopMatching(bus, tenantId, overrides, new Date(clock.now()).toISOString());
const statusOf = (eventId: string, statuses: string[]) => eventInStatus(tenantId, eventId, statuses, 30_000);

/** The bus found `messageId` not due yet twice after this call: at least one whole receive saw the clock as it is now. */
async function heldBack(messageId: string): Promise<void> {
  await hidden.next((id) => id === messageId);
  await hidden.next((id) => id === messageId);
}

const notes = (ticketId: string) => autotask.received('POST', `/ATServicesRest/V1.0/Tickets/${ticketId}/Notes`);

describe('processing stages on a ManualClock', () => {
  it("a 429 is rate_limited and retried after the vendor's Retry-After, not before", async () => {
    autotask.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '120' } },
      { path: '/ATServicesRest/V1.0/Tickets/429/Notes', times: 1 },
    );
    const eventId = await submit({ entities: { ticketId: '429' } });
    const step = toolCallStep(agentRunId(eventId), 0);
    expect(step).toBe(`run-${eventId}-0`);
    const retryId = `${eventId}:tool_call:${step}:1`;

    await eventually(() => hidden.seen.includes(retryId), 30_000);
    expect(notes('429')).toHaveLength(1);
    const first = (await loadTimeline(tenantId, eventId)).find((t) => t.stage === 'tool_call' && t.attempt === 0);
    expect(first).toMatchObject({ step, outcome: 'retrying', errorType: 'rate_limited' });
    expect(first?.message).toContain('HTTP 429');
    expect((await loadEvent(tenantId, eventId))?.status).toBe('processing');

    clock.advance(120_000 - 1);
    await heldBack(retryId);
    expect(notes('429')).toHaveLength(1);

    clock.advance(1);
    expect((await statusOf(eventId, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(notes('429')).toHaveLength(2);
    const retried = (await loadTimeline(tenantId, eventId)).find((t) => t.stage === 'tool_call' && t.attempt === 1);
    expect(retried).toMatchObject({ step, outcome: 'succeeded' });
    expect(deadLetters.filter((d) => d.eventId === eventId)).toEqual([]);
  });

  it('an approval nobody decides expires: the event fails as approval_expired and the host is never isolated', async () => {
    const eventId = await submit({ keywords: ['ransomware'], subject: 'Ransomware', entities: { agentId: 'agent-x' } });
    await statusOf(eventId, ['awaiting_approval']);
    const id = approvalId(eventId, 0);
    const approval = await getApproval(approvalDeps(), tenantId, id);
    expect(Date.parse(approval.expiresAt) - Date.parse(approval.createdAt)).toBe(APPROVAL_TTL_MS);
    const checkId = `${eventId}:agent_execution:s0-expired:0`;

    await eventually(() => hidden.seen.includes(checkId), 30_000);
    clock.set(Date.parse(approval.expiresAt) - 1);
    await heldBack(checkId);
    expect((await loadEvent(tenantId, eventId))?.status).toBe('awaiting_approval');
    expect((await getApproval(approvalDeps(), tenantId, id)).status).toBe('pending');

    clock.advance(1);
    const event = await statusOf(eventId, ['failed', 'succeeded']);
    expect(event).toMatchObject({ status: 'failed', stage: 'agent_execution' });
    const dead = await eventually(() => deadLetters.find((d) => d.eventId === eventId), 30_000);
    expect(dead).toMatchObject({ queue: 'agent-execution', reason: 'approval_expired' });
    expect(dead.description).toContain(`approval ${id}`);
    expect((await getApproval(approvalDeps(), tenantId, id)).status).toBe('expired');
    expect((await loadAgentRun(tenantId, agentRunId(eventId)))?.progress[0]).toMatchObject({
      status: 'expired',
      approvalId: id,
    });
    // A decision after the expiry changes nothing.
    await expect(decideApproval(approvalDeps(), principal, id, 'approved', undefined, 'test')).rejects.toMatchObject({
      code: 'approval_expired',
    });
    expect(edr.count('POST', '/api/Agents/toggleIsolation')).toBe(0);
  });
});
