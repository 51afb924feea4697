import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutotaskFake } from '../fakes/autotask';
import { arrangeDiskFullSop, postAutotaskTicket } from '../support/autotask-pipeline';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * The pipeline's main path (docs/design.md §6), over HTTP on the local host: a signed Autotask ticket
 * webhook matches a SOP, its agent run adds a note on the fake Autotask, and the event ends
 * `succeeded` with a timeline through every stage — all of it over HTTP, reads included.
 */
let host: HostProcess;
let key: string;
const autotask = new AutotaskFake();

beforeAll(async () => {
  await autotask.start();
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await host?.stop();
  await autotask.stop();
});

describe('the inbound pipeline end to end', () => {
  it('a signed Autotask ticket webhook runs its SOP: a note on the ticket and a succeeded event with its timeline', async () => {
    const { integration, sop, webhook } = await arrangeDiskFullSop(host.baseUrl, key, autotask.baseUrl);
    expect(integration.status).toBe(201);
    expect(sop.status).toBe(201);

    const tools = await call(host.baseUrl, 'GET', '/api/v1/tools', { key });
    expect(tools.status).toBe(200);
    expect((tools.json.items as Array<{ id: string }>).map((t) => t.id)).toContain('autotask.ticket.add_note');

    expect(webhook.status).toBe(201);
    const secret = String(webhook.json.secret);

    const received = await postAutotaskTicket(
      host.baseUrl,
      { id: String(webhook.json.id), secret },
      { id: 4711, fields: { Title: 'Disk full on SRV01', Priority: 2 } },
    );
    expect(received.status).toBe(202);
    const eventId = String(received.json.eventId);

    // Everything below is read over HTTP, as an admin would: the event with its timeline, then the run.
    const event = await eventually(async () => {
      const found = await call(host.baseUrl, 'GET', `/api/v1/events/${eventId}`, { key });
      return found.status === 200 && ['succeeded', 'failed'].includes(String(found.json.status))
        ? found.json
        : undefined;
    }, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nhost:\n${host.output().slice(-4000)}`);
    });
    expect(event).toMatchObject({
      id: eventId,
      status: 'succeeded',
      source: 'autotask',
      type: 'ticket.created',
      sopId: sop.json.id,
      agentRunId: `run-${eventId}`,
      failure: null,
    });
    const timeline = event.timeline as Array<{ stage: string; step: string; attempt: number; outcome: string }>;
    expect(timeline.map((t) => `${t.stage} ${t.step} ${t.attempt} ${t.outcome}`)).toEqual([
      'validation main 0 succeeded',
      'sop_matching main 0 succeeded',
      'agent_dispatch main 0 succeeded',
      'agent_execution s0 0 succeeded',
      `tool_call run-${eventId}-0 0 succeeded`,
      'agent_execution s1 0 done',
    ]);

    const run = await call(host.baseUrl, 'GET', `/api/v1/agent-runs/run-${eventId}`, { key });
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ eventId, sopId: sop.json.id, status: 'succeeded' });
    expect(run.json.steps).toEqual([
      expect.objectContaining({
        tool: 'autotask.ticket.add_note',
        status: 'succeeded',
        integrationId: integration.json.id,
        ledger: expect.objectContaining({ status: 'succeeded', attempt: 0 }),
      }),
    ]);

    const notes = autotask.received('POST', '/ATServicesRest/V1.0/Tickets/4711/Notes');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.json).toMatchObject({ TicketID: 4711, Description: 'Hub saw: Disk full on SRV01' });
  }, 120_000);
});
