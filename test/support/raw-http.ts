import { connect } from 'node:net';

/**
 * HTTP/1.1 over a bare socket, for requests fetch refuses to send (a broken Host header, an
 * absolute-form target, a truncated body, a bad method). The request is written as given and the
 * first response is parsed as soon as it is complete (or whatever came before the server closed).
 */
export interface RawResponse {
  /** undefined when the server closed without answering. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  json: Record<string, unknown>;
  /** The socket ended in an error (reset) rather than a clean close. */
  reset: boolean;
}

export function portOf(baseUrl: string): number {
  return Number(new URL(baseUrl).port);
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Interim 1xx heads (100 Continue) precede the real response; skip them. */
function withoutInterim(raw: Buffer): Buffer {
  let rest = raw;
  while (/^HTTP\/1\.[01] 1\d\d /.test(rest.subarray(0, 13).toString('latin1'))) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    rest = rest.subarray(end + 4);
  }
  return rest;
}

export function parseRawResponse(all: Buffer, reset: boolean): RawResponse {
  const raw = withoutInterim(all);
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: undefined, headers: {}, body: '', json: {}, reset };
  const [statusLine = '', ...lines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let bodyBytes = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') bodyBytes = dechunk(bodyBytes);
  else if (headers['content-length'] !== undefined)
    bodyBytes = bodyBytes.subarray(0, Number(headers['content-length']));
  const body = bodyBytes.toString('utf8');
  let json: Record<string, unknown> = {};
  try {
    json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  return { status: Number.isFinite(status) ? status : undefined, headers, body, json, reset };
}

/** Whether `raw` holds one whole response (so a kept-alive socket need not be waited out). */
function complete(all: Buffer): boolean {
  const raw = withoutInterim(all);
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = raw.subarray(0, headEnd).toString('latin1').toLowerCase();
  const body = raw.subarray(headEnd + 4);
  if (/\r\ntransfer-encoding: *chunked/.test(head)) return body.includes('0\r\n\r\n');
  const length = /\r\ncontent-length: *(\d+)/.exec(head)?.[1];
  return length !== undefined && body.length >= Number(length);
}

export function rawRequest(
  port: number,
  payload: string | Buffer | (string | Buffer)[],
  options: { timeoutMs?: number; halfClose?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let reset = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawResponse(Buffer.concat(chunks), reset));
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no answer from the server within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    socket.on('connect', () => {
      for (const piece of Array.isArray(payload) ? payload : [payload]) socket.write(piece);
      // Half-closing tells the server nothing more is coming (a truncated body); Node then drops
      // requests still in progress, so only requests meant to be cut short do it.
      if (options.halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (complete(Buffer.concat(chunks))) finish();
    });
    socket.on('error', () => {
      reset = true;
    });
    socket.on('close', finish);
  });
}

/** A well-formed request line and headers around the given parts; `extra` lines go before the blank line. */
export function rawGet(path: string, extra: string[] = [], host = 'localhost'): string {
  return [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...extra, '', ''].join('\r\n');
}
