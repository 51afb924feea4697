import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { OffsetClock } from '../shared/clock';
import { armCrashPoint, armedCrashPoints } from '../shared/faults/crash-points';
import type { FunctionRegistry } from './registry';
import { decodeSegment } from './request-target';
import type { TimerRunner } from './timers';

/**
 * Host endpoints outside /api. They act for every tenant, so the HTTP server asks for the functions
 * key before any of them runs (as Azure asks for its host keys): `npm start` always has one,
 * LOCAL_FUNCTIONS_KEY or a key generated per start (local/main.ts). Only a host started in-process
 * without a key (benchmarks) serves them open, relying on its loopback binding.
 * - GET  /admin/host/status            what is registered
 * - POST /admin/functions/{name}       run a timer function now (the Core Tools convention)
 * - POST /admin/host/crash-points      arm a crash point        (LOCAL_ENABLE_TEST_HOOKS only)
 * - POST /admin/host/clock             move the host clock on   (LOCAL_ENABLE_TEST_HOOKS only)
 */
type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

const crashBody = z.strictObject({ name: z.string().min(1), nth: z.number().int().positive().default(1) });
const clockBody = z.strictObject({ advanceMs: z.number().int().nonnegative() });

function json(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}

function parse<S extends z.ZodType>(schema: S, body: Buffer): z.output<S> | undefined {
  try {
    const result = schema.safeParse(body.length ? JSON.parse(body.toString('utf8')) : {});
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

export function adminEndpoints(options: {
  registry: FunctionRegistry;
  timers: TimerRunner;
  clock: OffsetClock;
  testHooks: boolean;
  log: Log;
}) {
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!path.startsWith('/admin/')) return false;
    if (req.method === 'GET' && path === '/admin/host/status') {
      return json(res, 200, {
        state: 'Running',
        functions: [...options.registry.functions.values()].map((f) => ({
          name: f.name,
          trigger: f.trigger.type,
          ...(f.trigger.route !== undefined ? { route: f.trigger.route } : {}),
          ...(f.trigger.queueName !== undefined ? { queueName: f.trigger.queueName } : {}),
          ...(f.trigger.schedule !== undefined ? { schedule: f.trigger.schedule } : {}),
        })),
        crashPoints: armedCrashPoints(),
      });
    }
    const fire = /^\/admin\/functions\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && fire) {
      const name = decodeSegment(fire[1]!);
      const fn = options.registry.get(name);
      if (!fn) return json(res, 404, { error: `no function named ${name}` });
      if (fn.trigger.type !== 'timerTrigger')
        return json(res, 400, { error: 'only timer functions can be run this way' });
      await options.timers.fire(name);
      res.writeHead(202).end();
      return true;
    }
    if (!options.testHooks) return json(res, 404, { error: 'test hooks are disabled (LOCAL_ENABLE_TEST_HOOKS)' });
    if (req.method === 'POST' && path === '/admin/host/crash-points') {
      const input = parse(crashBody, body);
      if (!input) return json(res, 400, { error: 'expected {name, nth?}' });
      armCrashPoint(input.name, input.nth);
      options.log('warn', 'crash point armed', { crashPoint: input.name, nth: input.nth });
      return json(res, 200, { armed: armedCrashPoints() });
    }
    if (req.method === 'POST' && path === '/admin/host/clock') {
      const input = parse(clockBody, body);
      if (!input) return json(res, 400, { error: 'expected {advanceMs}' });
      options.clock.advance(input.advanceMs);
      return json(res, 200, { now: new Date(options.clock.now()).toISOString() });
    }
    return json(res, 404, { error: 'unknown admin endpoint' });
  };
}
