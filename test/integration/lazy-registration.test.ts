import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../bench/cold-start/load-once';
import { deadLetterQueueName } from '../../shared/bus/port';
import { STAGE_QUEUES, STAGES } from '../../shared/events/contract';
import { IDEMPOTENCY_PURGE_SCHEDULE } from '../../shared/idempotency/housekeeping';
import { EVENTS_RETENTION_SCHEDULE } from '../../shared/inbound/retention';
import { STUCK_SWEEP_SCHEDULE } from '../../shared/inbound/stuck-events';
import { RENEWAL_SCHEDULE } from '../../shared/inbound/vendor-push';
import { DURABLE_PURGE_SCHEDULE } from '../../shared/outbound/durable-purge';
import {
  ATTEMPT_ACTIVITY,
  DELIVERY_ORCHESTRATOR,
  DELIVERY_ORCHESTRATOR_V1,
  NEXT_ATTEMPT_ACTIVITY,
  SEND_SLOT_ACTIVITY,
} from '../../shared/outbound/orchestrator';
import { RETENTION_SCHEDULE } from '../../shared/outbound/retention';
import { START_SWEEP_SCHEDULE } from '../../shared/outbound/sweep';
import { PROBE_QUEUE } from '../../shared/probes/probe-message';
import { PROBE_SCHEDULE } from '../../shared/probes/schedule';
import { RECONCILE_SCHEDULE } from '../../shared/reconcile/weekly';
import { ROUTING_RETENTION_SCHEDULE } from '../../shared/routing/retention';
import type { AppRegistration } from '../support/app-registrations';
import { ROOT } from '../support/host-process';

/**
 * functions/ registers every trigger without loading the capability code behind it
 * (docs/decisions.md §38): what the host needs stays in the entry file, the rest is imported on the
 * first invocation. These tests load the built app (dist/, as the worker does, through the
 * registry shim) in fresh processes and hold that design in place.
 */

/**
 * shared/ folders a cold start may evaluate: the primitives (docs/architecture.md, "Where it
 * goes"). A capability folder — one that exists today or one added later — is not here, so
 * registering a trigger that evaluates capability code at load fails the first test.
 */
const FOUNDATION = new Set([
  'audit',
  'bus',
  'clock',
  'config',
  'crypto',
  'errors',
  'faults',
  'http',
  'net',
  'observability',
  'sdk',
  'secrets',
  'storage',
  'validation',
]);

/**
 * Files outside those folders that registration may evaluate: the API edge's route contract, which
 * registers a route from its head and imports the rest of the edge on the first request.
 */
const REGISTRATION_FILES = new Set(['shared/api/api-route.ts']);
/** A capability's route heads, written once and read by its functions/ file: data only, so allowed. */
const ROUTE_HEADS = /^shared\/[^/]+\/route-heads\.ts$/;

const DIST = join(ROOT, 'dist');
const entries = () =>
  readdirSync(join(DIST, 'functions'))
    .filter((name) => name.endsWith('.js'))
    .sort()
    .map((name) => join(DIST, 'functions', name));

function runNode(args: string[]): string {
  const child = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`node ${args[0]} failed:\n${child.stderr}`);
  return child.stdout;
}

const folderOf = (module: string): string => module.split('/')[1] ?? module;

describe('registering the app', () => {
  let registrations: AppRegistration[];
  let document: unknown;

  beforeAll(() => {
    const out = JSON.parse(runNode([join(DIST, 'test/support/app-registrations.js')])) as {
      registrations: AppRegistration[];
      document: unknown;
    };
    registrations = out.registrations;
    document = out.document;
  });

  it('evaluates only foundation modules of shared/, never a capability', () => {
    const report = JSON.parse(
      runNode([join(DIST, 'bench/cold-start/load-once.js'), '--modules', ...entries()]),
    ) as LoadReport;
    const modules = report.modules ?? [];
    // Sanity: the listing saw the load (an empty one would pass vacuously).
    expect(modules).toContain('shared/api/api-route.ts');
    expect(modules).toContain('functions/api-keys-api.ts');
    const outside = modules.filter(
      (m) =>
        m.startsWith('shared/') && !FOUNDATION.has(folderOf(m)) && !REGISTRATION_FILES.has(m) && !ROUTE_HEADS.test(m),
    );
    expect(outside).toEqual([]);
  });

  it('generates the same OpenAPI document as before routes were loaded on first use', () => {
    const before = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/openapi/document.json'), 'utf8')) as unknown;
    // toEqual ignores the order of object keys (paths, components); arrays must match as they are.
    expect(document).toEqual(before);
  });

  it('registers every route the document describes, with the definition it names', () => {
    const paths = (document as { paths: Record<string, Record<string, { operationId: string }>> }).paths;
    const documented = Object.entries(paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const registered = registrations
      // The catch-all answers what no route serves (docs/decisions.md §44); it is no operation.
      .filter((r) => r.trigger.type === 'httpTrigger' && r.name !== 'zz-route-not-found')
      .flatMap((r) => (r.trigger['methods'] as string[]).map((method) => `${method} /${String(r.trigger['route'])}`))
      // The reference page is left out of the document on purpose; the receive route is in it
      // (docs/decisions.md §53). So are the console's page, script and stylesheet (§60).
      .filter((route) => route !== 'GET /v1/docs' && !/^GET \/console(\/|$)/.test(route))
      .sort();
    // Generating the document loaded every definition and checked it against its registration.
    expect(registered).toEqual(documented);
  });

  it('names the queues, schedules and durable functions the capabilities declare', () => {
    const trigger = (name: string) => registrations.find((r) => r.name === name)?.trigger;
    const processing = STAGES.filter((stage) => stage !== 'validation');
    for (const stage of processing) {
      expect(trigger(`pipeline-${STAGE_QUEUES[stage]}`)?.['queueName']).toBe(STAGE_QUEUES[stage]);
    }
    expect(trigger('pipeline-validation')?.['queueName']).toBe(STAGE_QUEUES.validation);
    for (const stage of STAGES) {
      const queue = deadLetterQueueName(STAGE_QUEUES[stage]);
      expect(trigger(`failures-${queue}`)?.['queueName']).toBe(queue);
    }
    expect(trigger('health-probe-run')?.['queueName']).toBe(PROBE_QUEUE);
    expect(trigger('health-probe-timer')?.['schedule']).toBe(PROBE_SCHEDULE);
    expect(trigger('outbound-start-sweep')?.['schedule']).toBe(START_SWEEP_SCHEDULE);
    expect(trigger('outbound-retention')?.['schedule']).toBe(RETENTION_SCHEDULE);
    expect(trigger('durable-purge')?.['schedule']).toBe(DURABLE_PURGE_SCHEDULE);
    expect(trigger('events-retention')?.['schedule']).toBe(EVENTS_RETENTION_SCHEDULE);
    expect(trigger('events-stuck-sweep')?.['schedule']).toBe(STUCK_SWEEP_SCHEDULE);
    expect(trigger('webhooks-renewal')?.['schedule']).toBe(RENEWAL_SCHEDULE);
    expect(trigger('idempotency-keys-purge')?.['schedule']).toBe(IDEMPOTENCY_PURGE_SCHEDULE);
    expect(trigger('reconcile-weekly-timer')?.['schedule']).toBe(RECONCILE_SCHEDULE);
    expect(trigger('routing-errors-retention')?.['schedule']).toBe(ROUTING_RETENTION_SCHEDULE);
    expect(trigger(DELIVERY_ORCHESTRATOR)?.type).toBe('orchestrationTrigger');
    expect(trigger(ATTEMPT_ACTIVITY)?.type).toBe('activityTrigger');
    expect(trigger(NEXT_ATTEMPT_ACTIVITY)?.type).toBe('activityTrigger');
    expect(trigger(DELIVERY_ORCHESTRATOR_V1)?.type).toBe('orchestrationTrigger');
    expect(trigger(SEND_SLOT_ACTIVITY)?.type).toBe('activityTrigger');
  });
});
