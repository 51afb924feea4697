import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRunId, loadAgentRun, toolCallStep } from '../../shared/agents/runs';
import type { Principal } from '../../shared/apikeys/principal';
import { approvalDeps } from '../../shared/approvals/deps';
import { APPROVAL_TTL_MS, approvalId, decideApproval, getApproval } from '../../shared/approvals/manage';
import { deadLetterInfo, type ReceivedMessage } from '../../shared/bus/port';
import { setProcessBus } from '../../shared/bus/process-bus';
import { NOT_DUE_HIDDEN_AGAIN, StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { installClock, ManualClock } from '../../shared/clock';
import { resetSettingsCache } from '../../shared/config/settings';
import { resetCredentialCipher } from '../../shared/crypto/credential-cipher';
import { generateFernetKey } from '../../shared/crypto/fernet';
import { createEvent, loadEvent, updateEvent } from '../../shared/inbound/event-store';
import { loadTimeline } from '../../shared/inbound/timeline';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/manage';
import { type NormalizedEvent, STAGE_QUEUES, type Stage } from '../../shared/pipeline/contract';
import { sendToStage, stageHandler } from '../../shared/pipeline/stage-runner';
import { agentDispatchWork } from '../../shared/pipeline/stages/agent-dispatch';
import { agentExecutionWork } from '../../shared/pipeline/stages/agent-execution';
import { sopMatchingWork } from '../../shared/pipeline/stages/sop-matching';
import { toolCallWork } from '../../shared/pipeline/stages/tool-call';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/manage';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { DattoEdrFake, FAKE_DATTO_EDR_CREDENTIALS } from '../fakes/datto-edr';
import { PrefixedBus } from '../support/prefixed-bus';
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
const deadLetters: Array<{ eventId: string; queue: string; reason: string; description: string }> = [];
const consumers: Array<{ stop(): Promise<void> }> = [];
let restoreClock: () => void;
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
  delete process.env.RETRY_AFTER_MAX_SECONDS;
  resetSettingsCache();
  resetCredentialCipher();
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
  const setup = { skipTest: true, correlationId: 'setup' };
  await createIntegration(
    integrationDeps(),
    principal,
    {
      vendor: 'autotask',
      name: 'Autotask',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: autotask.baseUrl },
    },
    setup,
  );
  await createIntegration(
    integrationDeps(),
    principal,
    { vendor: 'datto-edr', name: 'EDR', credentials: FAKE_DATTO_EDR_CREDENTIALS, config: { baseUrl: edr.baseUrl } },
    setup,
  );
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
  const poll = { pollIntervalMs: 50, maxPollIntervalMs: 200 };
  for (const [stage, work] of Object.entries(WORK) as Array<[Stage, Parameters<typeof stageHandler>[1]]>) {
    const queue = STAGE_QUEUES[stage];
    consumers.push(
      bus.inner.startConsumer(bus.queue(queue), stageHandler(stage, work, { bus: () => bus, policy: POLICY }), poll),
    );
    consumers.push(
      bus.inner.startConsumer(
        bus.queue(`${queue}-deadletter`),
        async (message: ReceivedMessage) => {
          const info = deadLetterInfo(message);
          deadLetters.push({
            eventId: String(message.applicationProperties.eventId ?? ''),
            queue,
            reason: info?.reason ?? '',
            description: info?.description ?? '',
          });
          return { kind: 'complete' };
        },
        poll,
      ),
    );
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await autotask.stop();
  await edr.stop();
  setProcessBus(undefined);
  restoreClock?.();
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
    subject: 'Disk full on SRV01',
    severity: 'high',
    entities: { ticketId: '123' },
    keywords: ['disk_full'],
    fields: {},
    occurredAt: new Date(clock.now()).toISOString(),
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

async function statusOf(eventId: string, statuses: string[]) {
  return eventually(async () => {
    const event = await loadEvent(tenantId, eventId);
    return event && statuses.includes(event.status) ? event : undefined;
  }, 30_000);
}

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
