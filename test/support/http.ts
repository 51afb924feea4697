import { request as httpRequest } from 'node:http';
import { TEST_FUNCTIONS_KEY } from './host-process';

/** Small fetch helpers for tests that drive the host like a client. */
export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    key?: string;
    body?: unknown;
    rawBody?: string | Buffer;
    headers?: Record<string, string>;
    /** Source address on loopback (127.0.0.2, 127.0.0.3 …): a distinct client as the host sees it. */
    from?: string;
    /**
     * The functions key for host endpoints (/admin/*, /runtime/webhooks/durabletask/*): by default
     * the test hosts' TEST_FUNCTIONS_KEY, unless the call already carries an x-functions-key header
     * or a `code` query; `null` sends none (to see the 401).
     */
    functionsKey?: string | null;
  } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  const functionsKey = options.functionsKey === undefined ? TEST_FUNCTIONS_KEY : options.functionsKey;
  const hasKey =
    Object.keys(headers).some((name) => name.toLowerCase() === 'x-functions-key') || /[?&]code=/.test(path);
  if (functionsKey && !hasKey && isHostEndpoint(path)) headers['x-functions-key'] = functionsKey;
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = options.from
    ? await fetchFrom(options.from, `${baseUrl}${path}`, method, headers, body)
    : await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  return { status: response.status, headers: response.headers, text, json };
}

export { eventually } from './wait';

/** Paths the local host serves itself, behind the functions key (not /api routes). */
export function isHostEndpoint(path: string): boolean {
  return /^\/(admin|runtime\/webhooks\/durabletask)\//i.test(path);
}

/** fetch() cannot pick its source address; node:http can (`localAddress`). */
function fetchFrom(
  localAddress: string,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: out }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
