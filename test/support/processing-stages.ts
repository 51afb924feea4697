import type { Principal } from '../../shared/apikeys/principal';
import { deadLetterInfo, type ReceivedMessage } from '../../shared/bus/port';
import type { BackoffPolicy } from '../../shared/bus/retry';
import { type NormalizedEvent, STAGE_QUEUES, type Stage } from '../../shared/events/contract';
import { loadEvent } from '../../shared/events/event-store';
import { sendToStage } from '../../shared/events/stage-messages';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import { stageHandler } from '../../shared/pipeline/stage-runner';
import { agentDispatchWork } from '../../shared/pipeline/stages/agent-dispatch';
import { agentExecutionWork } from '../../shared/pipeline/stages/agent-execution';
import { sopMatchingWork } from '../../shared/pipeline/stages/sop-matching';
import { toolCallWork } from '../../shared/pipeline/stages/tool-call';
import { sopDeps } from '../../shared/sops/deps';
import { createSop } from '../../shared/sops/sops';
import { type AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { type DattoEdrFake, FAKE_DATTO_EDR_CREDENTIALS, FAKE_DATTO_EDR_TOKEN_EXPIRES_AT } from '../fakes/datto-edr';
import type { PrefixedBus } from './prefixed-bus';
import { storeNormalizedEvent } from './stored-run';
import { eventually } from './wait';

/**
 * The processing stages (SOP matching → agent dispatch → agent execution → tool call) run
 * in-process on a file's PrefixedBus, wired as functions/pipeline-stages-queue.ts wires them but with the
 * file's backoff policy, for tests that store events as validation leaves them.
 */
const WORK: Record<Exclude<Stage, 'validation'>, Parameters<typeof stageHandler>[1]> = {
  sop_matching: sopMatchingWork,
  agent_dispatch: agentDispatchWork,
  agent_execution: agentExecutionWork,
  tool_call: toolCallWork,
};

const POLL = { pollIntervalMs: 50, maxPollIntervalMs: 200 };

export interface DeadLetterRow {
  queue: string;
  eventId: string;
  reason: string;
  description: string;
}

export interface ProcessingStages {
  /** Every message the stages dead-lettered, as its dead-letter consumer received it. */
  deadLetters: DeadLetterRow[];
  stop(): Promise<void>;
}

/** Starts a consumer on each processing stage's queue and one on its dead-letter queue. */
export function startProcessingStages(bus: PrefixedBus, policy: BackoffPolicy): ProcessingStages {
  const deadLetters: DeadLetterRow[] = [];
  const consumers: Array<{ stop(): Promise<void> }> = [];
  for (const [stage, work] of Object.entries(WORK) as Array<[Stage, Parameters<typeof stageHandler>[1]]>) {
    const queue = STAGE_QUEUES[stage];
    consumers.push(
      bus.inner.startConsumer(bus.queue(queue), stageHandler(stage, work, { bus: () => bus, policy }), POLL),
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
        POLL,
      ),
    );
  }
  return {
    deadLetters,
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}

/** The tenant's Autotask and Datto EDR integrations, pointed at the fakes (no connection test). */
export async function connectFakeVendors(principal: Principal, autotask: AutotaskFake, edr: DattoEdrFake) {
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
    {
      vendor: 'datto-edr',
      name: 'EDR',
      credentials: FAKE_DATTO_EDR_CREDENTIALS,
      config: { baseUrl: edr.baseUrl, tokenExpiresAt: FAKE_DATTO_EDR_TOKEN_EXPIRES_AT },
    },
    setup,
  );
}

/** A SOP isolating the host named by a ransomware event's `agentId` on Datto EDR (the tool needs an approval). */
export async function createIsolateHostSop(principal: Principal): Promise<void> {
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
}

/**
 * An Autotask ticket event as validation leaves it (normalised, at `sop_matching`), sent on to SOP
 * matching; `occurredAt` comes from the caller so a file on a ManualClock can use its clock.
 */
export async function submitAtSopMatching(
  bus: PrefixedBus,
  tenantId: string,
  overrides: Partial<NormalizedEvent>,
  occurredAt: string,
): Promise<string> {
  const view = await storeNormalizedEvent(
    tenantId,
    { occurredAt, ...overrides },
    { stage: 'sop_matching', status: 'processing' },
  );
  await sendToStage(bus, tenantId, view.id, { stage: 'sop_matching', step: 'main' });
  return view.id;
}

/** The event once its status is one of `statuses`. */
export function eventInStatus(tenantId: string, eventId: string, statuses: string[], timeoutMs: number) {
  return eventually(async () => {
    const event = await loadEvent(tenantId, eventId);
    return event && statuses.includes(event.status) ? event : undefined;
  }, timeoutMs);
}
