import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VENDOR_IDS } from '../shared/vendors/contract';
import { startAllFakes } from '../test/fakes/core/all-fakes';
import { PortInUseError } from './azurite';

/**
 * LOCAL_FAKE_VENDORS: the eight loopback fake vendors beside `npm start`, so the README tour can
 * connect an integration, watch it go `connected`, then flip a fault and watch `needs_attention`;
 * plus a webhook receiver for the outbound part of the tour (POST anything → 200 and recorded;
 * GET → what it received, signature headers included). The fakes are test code; only the local
 * host (never the deployed app) loads them. local/ is not part of what azd uploads (.funcignore), and
 * the deployed build type-checks functions/ and shared/ only (tsconfig.deploy.json), so this import
 * of test/ never reaches Azure; test/integration/deploy-upload.test.ts keeps it that way.
 */
export async function startFakeVendors(options: {
  basePort: number;
}): Promise<{ lines: string[]; stop(): Promise<void> }> {
  const fixedPorts = options.basePort > 0;
  let fakes: Awaited<ReturnType<typeof startAllFakes>>;
  let receiver: Server;
  try {
    fakes = await startAllFakes({ host: '127.0.0.1', ...(fixedPorts ? { basePort: options.basePort } : {}) });
    receiver = await startTourReceiver(fixedPorts ? options.basePort + VENDOR_IDS.length : 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(options.basePort, 'fake vendors', 'LOCAL_FAKE_VENDORS_PORT');
    }
    throw error;
  }
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  return {
    lines: [
      ...VENDOR_IDS.map((id) => `  ${id.padEnd(14)} ${fakes.baseUrls[id]}`),
      `  ${'receiver'.padEnd(14)} ${receiverUrl} (outbound webhooks; GET it to see what arrived)`,
    ],
    stop: async () => {
      await fakes.stop();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    },
  };
}

const KEEP = 50;

function startTourReceiver(port: number): Promise<Server> {
  const received: { at: string; headers: Record<string, unknown>; body: string }[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received }, null, 2));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 256 * 1024) chunks.push(chunk);
    });
    req.on('end', () => {
      received.unshift({
        at: new Date().toISOString(),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      received.length = Math.min(received.length, KEEP);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
