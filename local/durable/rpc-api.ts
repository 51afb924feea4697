import type { IncomingMessage, ServerResponse } from 'node:http';
import { nowMs } from '../../shared/clock';
import { PayloadTooLargeError } from './chunked';
import type { ClientBindingData } from './client-binding';
import { INSTANCE_ID_PLACEHOLDER } from './client-binding';
import type { InstanceService, ListFilter, SignalResult } from './instance-service';
import type { RuntimeStatus } from './instance-store';

/**
 * The HTTP API durable-functions' DurableClient calls when `rpcBaseUrl` is set (and the webhook
 * URLs of createCheckStatusResponse), with the status codes the client interprets:
 *
 *   POST   orchestrators/{name}[/{id}]        202 {id, statusQueryGetUri, ...}; 409 if running; 400 unknown
 *   GET    instances/{id}                     200 Completed, 202 Pending/Running/Suspended, 400 Failed/Terminated, 404
 *   GET    instances/?runtimeStatus=&createdTimeFrom=&createdTimeTo=   200 [status...]
 *   DELETE instances/{id}                     200 {instancesDeleted}, 404
 *   DELETE instances/?createdTimeFrom=&createdTimeTo=&runtimeStatus=   200 {instancesDeleted}; 404 none
 *          purged; 400 without createdTimeFrom (createdTimeTo defaults to now), as the extension answers
 *   POST   instances/{id}/raiseEvent/{name}   202, 404, 410 (finished)
 *   POST   instances/{id}/terminate|suspend|resume?reason=   202, 404, 410
 *   rewind, restart, entities                 501 (not supported locally)
 */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const STATUSES: readonly RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'Failed', 'Terminated', 'Suspended'];

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** A JSON body as stored text (normalised), or undefined for an empty body. */
function jsonText(body: Buffer): string | undefined {
  const text = body.toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    throw new HttpProblem(400, 'the request body is not valid JSON');
  }
}

function segmentsOf(path: string): string[] {
  const parts = path.split('/');
  if (parts[parts.length - 1] === '') parts.pop();
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    throw new HttpProblem(400, 'malformed path');
  }
}

function instanceIdOf(raw: string | undefined): string {
  if (!raw || raw.length > 256) throw new HttpProblem(400, 'instance id must be 1 to 256 characters');
  return raw;
}

function filterOf(query: URLSearchParams): ListFilter {
  const filter: ListFilter = {};
  const statuses = query.get('runtimeStatus');
  if (statuses) {
    const list = statuses.split(',').map((s) => s.trim());
    const bad = list.find((s) => !STATUSES.includes(s as RuntimeStatus));
    if (bad) throw new HttpProblem(400, `unknown runtimeStatus '${bad}'`);
    filter.runtimeStatus = list as RuntimeStatus[];
  }
  for (const key of ['createdTimeFrom', 'createdTimeTo'] as const) {
    const value = query.get(key);
    if (!value) continue;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new HttpProblem(400, `${key} is not a date`);
    filter[key] = date;
  }
  if (query.get('showInput') === 'false') filter.showInput = false;
  return filter;
}

function signalStatus(result: SignalResult, instanceId: string): [number, unknown] {
  if (result === 'accepted') return [202, undefined];
  if (result === 'gone')
    return [410, { message: `Instance '${instanceId}' has finished and cannot accept this request.` }];
  return [404, { message: `No instance with ID '${instanceId}' found.` }];
}

export function createRpcHandler(options: {
  basePath: string;
  service: InstanceService;
  bindingData: () => ClientBindingData;
}): (req: IncomingMessage, res: ServerResponse, body?: Buffer) => Promise<boolean> {
  const basePath = options.basePath.endsWith('/') ? options.basePath : `${options.basePath}/`;
  const { service } = options;

  const managementPayload = (instanceId: string): Record<string, string> => {
    const urls = options.bindingData().managementUrls;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(urls)) {
      out[key] = value.split(INSTANCE_ID_PLACEHOLDER).join(key === 'id' ? instanceId : encodeURIComponent(instanceId));
    }
    return out;
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL, body: () => Promise<Buffer>) => {
    const method = req.method ?? 'GET';
    const [resource, id, action, extra] = segmentsOf(url.pathname.slice(basePath.length));
    const query = url.searchParams;

    if (resource === 'orchestrators') {
      if (method !== 'POST') throw new HttpProblem(405, 'use POST to start an orchestration');
      if (!id) throw new HttpProblem(400, 'an orchestrator function name is required');
      const result = await service.start(id, {
        ...(action !== undefined ? { instanceId: instanceIdOf(action) } : {}),
        input: jsonText(await body()),
      });
      if (result.type === 'unknown-orchestrator') {
        throw new HttpProblem(
          400,
          `The function '${id}' doesn't exist, is disabled, or is not an orchestrator function.`,
        );
      }
      if (result.type === 'conflict') {
        throw new HttpProblem(
          409,
          `An instance with ID '${result.instanceId}' already exists (${result.runtimeStatus}).`,
        );
      }
      const payload = managementPayload(result.instanceId);
      return send(res, 202, payload, { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '10' });
    }

    if (resource === 'instances' && (id === undefined || id === '')) {
      if (method === 'GET') return send(res, 200, await service.list(filterOf(query)));
      if (method === 'DELETE') {
        const filter = filterOf(query);
        if (!filter.createdTimeFrom)
          throw new HttpProblem(400, "Please provide value for 'createdTimeFrom' parameter.");
        filter.createdTimeTo ??= new Date(nowMs());
        const instancesDeleted = await service.purgeBy(filter);
        // The client reads 404 as "nothing matched" (instancesDeleted 0).
        if (instancesDeleted === 0) return send(res, 404, { message: 'No instances matched the purge filter.' });
        return send(res, 200, { instancesDeleted });
      }
      throw new HttpProblem(405, 'use GET or DELETE');
    }

    if (resource === 'instances') {
      const instanceId = instanceIdOf(id);
      if (action === undefined) {
        if (method === 'GET') {
          const status = await service.status(instanceId, {
            showHistory: query.get('showHistory') === 'true',
            showHistoryOutput: query.get('showHistoryOutput') === 'true',
            showInput: query.get('showInput') !== 'false',
          });
          if (!status) return send(res, 404, { message: `No instance with ID '${instanceId}' found.` });
          const code =
            status.runtimeStatus === 'Completed'
              ? 200
              : status.runtimeStatus === 'Failed' || status.runtimeStatus === 'Terminated'
                ? 400
                : 202;
          return send(res, code, status);
        }
        if (method === 'DELETE') {
          const result = await service.purge(instanceId);
          if (result === 'not-found') return send(res, 404, { message: `No instance with ID '${instanceId}' found.` });
          return send(res, 200, { instancesDeleted: result === 'purged' ? 1 : 0 });
        }
        throw new HttpProblem(405, 'use GET or DELETE');
      }
      if (method !== 'POST') throw new HttpProblem(405, 'use POST');
      const reason = query.get('reason') ?? '';
      if (action === 'raiseEvent') {
        if (!extra) throw new HttpProblem(400, 'an event name is required');
        const [status, payload] = signalStatus(
          await service.raiseEvent(instanceId, extra, jsonText(await body())),
          instanceId,
        );
        return send(res, status, payload);
      }
      if (action === 'terminate' || action === 'suspend' || action === 'resume') {
        const [status, payload] = signalStatus(await service[action](instanceId, reason), instanceId);
        return send(res, status, payload);
      }
      if (action === 'rewind' || action === 'restart') {
        throw new HttpProblem(501, `${action} is not supported by the local durable engine.`);
      }
    }
    if (resource === 'entities')
      throw new HttpProblem(501, 'Durable entities are not supported by the local durable engine.');
    throw new HttpProblem(404, 'unknown durable API path');
  };

  return async (req, res, preRead) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(basePath)) return false;
    try {
      await route(req, res, url, async () => preRead ?? (await readBody(req)));
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      if (error instanceof HttpProblem) send(res, error.status, { message: error.message });
      else if (error instanceof PayloadTooLargeError) send(res, 413, { message: error.message });
      else send(res, 500, { message: error instanceof Error ? error.message : String(error) });
    }
    return true;
  };
}
