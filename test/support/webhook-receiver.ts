import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback webhook receiver for outbound-delivery tests: records every request (headers, raw
 * body, arrival time on the test's wall clock) and answers with whatever `respond` decides.
 */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Replace the answer for the next requests. */
  respond: (handler: ReceiverHandler) => void;
  close(): Promise<void>;
}

export type ReceiverHandler = (request: ReceivedWebhook, n: number, res: ServerResponse) => void | Promise<void>;

export function answer(status: number, headers: Record<string, string> = {}, body = ''): ReceiverHandler {
  return (_req, _n, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
}

export async function startReceiver(initial: ReceiverHandler = answer(200, {}, 'ok')): Promise<Receiver> {
  let handler = initial;
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' };
      received.push(request);
      void Promise.resolve(handler(request, received.length, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respond: (next) => {
      handler = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
