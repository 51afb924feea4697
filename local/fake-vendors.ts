import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VENDOR_IDS } from '../shared/vendors/contract';
import { AutotaskFake } from '../test/fakes/autotask';
import { type RunningFakes, startAllFakes } from '../test/fakes/core/all-fakes';
import { withAutotaskCompanyWrites, withHaloClientWrites } from '../test/fakes/entity-companies';
import { HaloFakeServer } from '../test/fakes/halopsa';
import { PortInUseError } from './azurite';

/**
 * LOCAL_FAKE_VENDORS: the eight loopback fake vendors beside `npm start`, so the README tour can
 * connect an integration, watch it go `connected`, then flip a fault and watch `needs_attention`;
 * a company the fake Halo PSA and Autotask share, with the writes entity sync makes (the tour's
 * conflict step, shareTourCompany below); plus a webhook receiver for the outbound part of the tour (POST anything → 200 and recorded;
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
    shareTourCompany(fakes);
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

/**
 * The README's "Resolve a conflict" step: one company both PSAs hold. Halo's client 12 (the
 * client of its ticket 1001) and Autotask company 29683 (the client the routing step links) are
 * "Contoso Ltd" with the same phone and web address, so entity sync matches them into one; each
 * fake takes the company writes entity sync makes, and the tour edits the phone through each
 * vendor's own API, as a technician's edit in the product would.
 */
export const TOUR_COMPANY = {
  name: 'Contoso Ltd',
  phone: '+44 20 7946 0000',
  website: 'https://contoso.example',
  haloClientId: 12,
  autotaskCompanyId: 29683,
} as const;

function shareTourCompany(fakes: RunningFakes): void {
  const halo = fakes.servers.halopsa;
  const autotask = fakes.servers.autotask;
  if (!(halo instanceof HaloFakeServer) || !(autotask instanceof AutotaskFake)) {
    throw new Error('the fake Halo PSA and Autotask are not the servers the tour company needs');
  }
  const client = halo.clients.find((c) => c.id === TOUR_COMPANY.haloClientId);
  if (!client || client.name !== TOUR_COMPANY.name) {
    throw new Error(`the fake Halo PSA has no client ${TOUR_COMPANY.haloClientId} "${TOUR_COMPANY.name}"`);
  }
  Object.assign(client, { phonenumber: TOUR_COMPANY.phone, website: TOUR_COMPANY.website });
  autotask.entities.Companies.push({
    id: TOUR_COMPANY.autotaskCompanyId,
    companyName: TOUR_COMPANY.name,
    phone: TOUR_COMPANY.phone,
    webAddress: TOUR_COMPANY.website,
    isActive: true,
    companyType: 1,
  });
  withHaloClientWrites(halo);
  withAutotaskCompanyWrites(autotask);
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
