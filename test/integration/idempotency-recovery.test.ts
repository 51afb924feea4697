import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AnyApiRoute } from '../../shared/api/api-route';
import { routeHandler } from '../../shared/api/route-handler';
import { routes as apiKeyRoutes } from '../../shared/apikeys/routes';
import { installClock, ManualClock } from '../../shared/clock';
import { resetSettingsCache } from '../../shared/config/settings';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { claimKey } from '../../shared/idempotency/claims';
import { IDEMPOTENCY_LEASE_MS, idempotencyDeps } from '../../shared/idempotency/deps';
import { purgeExpiredKeys } from '../../shared/idempotency/housekeeping';
import { IDEMPOTENCY_CRASH_BEFORE_RECORD } from '../../shared/idempotency/idempotent-call';
import { routes as webhookRoutes } from '../../shared/inbound/webhook-routes';
import { routes as integrationRoutes } from '../../shared/integrations/routes';
import { routes as subscriptionRoutes } from '../../shared/outbound/subscription-routes';
import { routes as sopRoutes } from '../../shared/sops/routes';
import { routes as tenantRoutes } from '../../shared/tenants/routes';
import { FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { uniqueName } from '../support/host-process';
import { installLocalSettings } from '../support/local-settings';

/**
 * Every idempotent create, in process against the suite's Azurite, killed (a simulated crash) between
 * its create and the key's record: a retry while the claim's lease runs is 409; after the lease the
 * retry recovers the resource the first run made (same id, nothing created twice) and the answer is
 * replayed from then on. Why each create can do this: docs/api.md, "Idempotent requests".
 */
class SimulatedCrash extends Error {}

const BOOTSTRAP = `bootstrap-${'k'.repeat(40)}`;
const OPERATOR = `operator-${'o'.repeat(40)}`;
const saved = { ...process.env };
let clock: ManualClock;
let restoreClock: () => void;

beforeAll(() => {
  process.env.BOOTSTRAP_API_KEY = BOOTSTRAP;
  process.env.BOOTSTRAP_TENANT_ID = uniqueName('idem-').toLowerCase();
  process.env.OPERATOR_API_KEY = OPERATOR;
  process.env.API_RATE_LIMIT_PER_MINUTE = '100000';
  installLocalSettings();
  clock = new ManualClock(Date.now());
  restoreClock = installClock(clock);
  setCrashHandler((name) => {
    throw new SimulatedCrash(name);
  });
});
afterEach(() => disarmCrashPoints());
afterAll(() => {
  restoreClock();
  process.env = saved;
  resetSettingsCache();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, unknown>;
}

async function invoke(
  def: AnyApiRoute,
  options: { path: string; body?: unknown; key?: string; idempotencyKey?: string },
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? BOOTSTRAP}` };
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const request = new HttpRequest({
    url: `http://localhost/api/${options.path}`,
    method: def.method,
    headers,
    ...(options.body !== undefined ? { body: { string: JSON.stringify(options.body) } } : {}),
  });
  const response = await routeHandler(def)(
    request,
    new InvocationContext({ functionName: def.operationId, logHandler: () => {} }),
  );
  const text = typeof response.body === 'string' ? response.body : '';
  return {
    status: response.status ?? 200,
    headers: (response.headers ?? {}) as Record<string, string>,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const NOTE_STEP = {
  tool: 'autotask.ticket.add_note',
  args: { ticketId: '{{event.entities.ticketId}}', description: 'seen' },
};

interface Case {
  name: string;
  create: AnyApiRoute;
  path: string;
  body: () => unknown;
  list: AnyApiRoute;
  listPath: string;
  key?: string;
}

const CASES: Case[] = [
  {
    name: 'subscription',
    create: subscriptionRoutes.createSubscription,
    path: 'v1/subscriptions',
    body: () => ({ url: 'http://127.0.0.1:9/hook', eventTypes: ['ticket.*'] }),
    list: subscriptionRoutes.listSubscriptions,
    listPath: 'v1/subscriptions',
  },
  {
    name: 'inbound webhook',
    create: webhookRoutes.createWebhook,
    path: 'v1/webhooks',
    body: () => ({ name: 'idempotent webhook' }),
    list: webhookRoutes.listWebhooks,
    listPath: 'v1/webhooks',
  },
  {
    name: 'API key',
    create: apiKeyRoutes.createApiKey,
    path: 'v1/api-keys',
    body: () => ({ name: 'idempotent key', scopes: ['events:read'] }),
    list: apiKeyRoutes.listApiKeys,
    listPath: 'v1/api-keys',
  },
  {
    name: 'integration',
    create: integrationRoutes.createIntegration,
    path: 'v1/integrations?skipTest=true',
    body: () => ({
      vendor: 'autotask',
      name: 'idempotent integration',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: 'http://127.0.0.1:9' },
    }),
    list: integrationRoutes.listIntegrations,
    listPath: 'v1/integrations',
  },
  {
    name: 'SOP',
    create: sopRoutes.createSop,
    path: 'v1/sops',
    body: () => ({
      name: 'idempotent sop',
      match: { source: 'autotask', eventTypes: ['ticket.created'] },
      steps: [NOTE_STEP],
    }),
    list: sopRoutes.listSops,
    listPath: 'v1/sops',
  },
  {
    name: 'tenant',
    create: tenantRoutes.createTenant,
    path: 'v1/tenants',
    body: () => ({ name: `idempotent tenant ${process.env.BOOTSTRAP_TENANT_ID}` }),
    list: tenantRoutes.listTenants,
    listPath: 'v1/tenants?limit=200',
    key: OPERATOR,
  },
];

describe('an idempotent create that crashed before its key record', () => {
  it.each(CASES)('$name: 409 during the lease, then the same resource once, then replays', async (c) => {
    const listed = async () => {
      const page = await invoke(c.list, { path: c.listPath, ...(c.key ? { key: c.key } : {}) });
      expect(page.status).toBe(200);
      return page.json.items as { id: string; name?: string }[];
    };
    const before = new Set((await listed()).map((i) => i.id));
    const send = () =>
      invoke(c.create, {
        path: c.path,
        body: c.body(),
        idempotencyKey: `crash-${c.name.replaceAll(' ', '-')}`,
        ...(c.key ? { key: c.key } : {}),
      });

    armCrashPoint(IDEMPOTENCY_CRASH_BEFORE_RECORD);
    const crashed = await send();
    expect(crashed.status).toBe(500);
    const made = (await listed()).filter((i) => !before.has(i.id));
    expect(made).toHaveLength(1);

    const inFlight = await send();
    expect(inFlight.status).toBe(409);
    expect(inFlight.json).toMatchObject({ code: 'idempotency_key_in_flight' });

    clock.advance(IDEMPOTENCY_LEASE_MS + 1_000);
    const recovered = await send();
    expect(recovered.status).toBe(201);
    expect(recovered.json.id).toBe(made[0]!.id);
    expect((await listed()).filter((i) => !before.has(i.id))).toHaveLength(1);

    const replayed = await send();
    expect(replayed.status).toBe(201);
    expect(replayed.headers['Idempotent-Replayed']).toBe('true');
    expect(replayed.json.id).toBe(made[0]!.id);
  });

  // After the cases above: the SOP's step needs the tenant's Autotask integration.
  it('a refused create gives its key back: the corrected retry with the same key runs', async () => {
    const bad = await invoke(sopRoutes.createSop, {
      path: 'v1/sops',
      body: {
        name: 'refused',
        match: { source: 'autotask', eventTypes: ['ticket.created'] },
        steps: [{ tool: 'no.such.tool', args: {} }],
      },
      idempotencyKey: 'refused-then-fixed',
    });
    expect(bad.status).toBe(400);
    const fixed = await invoke(sopRoutes.createSop, {
      path: 'v1/sops',
      body: {
        name: 'refused',
        match: { source: 'autotask', eventTypes: ['ticket.created'] },
        steps: [NOTE_STEP],
      },
      idempotencyKey: 'refused-then-fixed',
    });
    expect(fixed.status).toBe(201);
  });
});

describe('expiry of idempotency keys', () => {
  it('after the retention a key starts afresh, and the hourly purge deletes the rows of past days', async () => {
    const deps = idempotencyDeps();
    const partition = uniqueName('purge-').toLowerCase();
    const first = await claimKey(deps, partition, 'k/1', 'fingerprint-a');
    expect(first.kind).toBe('fresh');
    await expect(claimKey(deps, partition, 'k/1', 'fingerprint-b')).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });

    clock.advance(deps.retentionMs + 1_000);
    // Forgotten: another request may use the key, and gets a new resource id.
    const again = await claimKey(deps, partition, 'k/1', 'fingerprint-b');
    expect(again.kind).toBe('fresh');
    if (first.kind !== 'fresh' || again.kind !== 'fresh') throw new Error('unreachable');
    expect(again.claim.record.resourceId).not.toBe(first.claim.record.resourceId);
    const other = await claimKey(deps, partition, 'k/2', 'fingerprint-c');
    expect(other.kind).toBe('fresh');

    clock.advance(deps.retentionMs + 86_400_000);
    const purged = await purgeExpiredKeys(deps);
    expect(purged.keys).toBeGreaterThanOrEqual(2);
    expect(await deps.tables.keys.get(partition, 'k~2F1')).toBeUndefined();
    expect(await deps.tables.keys.get(partition, 'k~2F2')).toBeUndefined();
  });
});
