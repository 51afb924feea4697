import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../../local/azurite';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';
import { portOf, type RawResponse, rawRequest } from '../support/raw-http';

/**
 * A bounded fuzz run against the real app (docs/design.md §14.1): a few thousand malformed requests
 * (header junk, odd methods, bad escapes and targets, huge and truncated bodies) from a seeded
 * generator, while slow clients trickle headers. Afterwards the host still answers /api/healthz,
 * never answered 5xx, and its storage holds exactly what it held before.
 *
 * The host gets a private Azurite so that "nothing was written" is not blurred by other test files.
 * Timers are slowed 1000x so no scheduled function writes during the run: every write would then
 * have come from a fuzzed request. No request carries a valid key, so rate-limit counters (written
 * only for authenticated keys) stay untouched too.
 */
const TOTAL = 3000;
const CONCURRENCY = 24;
const SLOW_CLIENTS = 12;
const FUNCTIONS_KEY = 'fuzz-functions-key-0123456789abcdef';

/** mulberry32: small, seeded, good enough to pick cases reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzCase {
  kind: string;
  payload: (string | Buffer)[];
  /** The request is cut short on purpose; the server may close without answering. */
  truncated?: boolean;
}

function generator(seed: number) {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (max: number) => Math.floor(random() * max);
  const junk = (length: number, alphabet?: string) =>
    Array.from({ length }, () => (alphabet ? alphabet[int(alphabet.length)] : String.fromCharCode(int(256)))).join('');

  const paths = [
    '/api/healthz',
    '/api/v1/api-keys',
    '/api/v1/api-keys/01ARZ3NDEKTSV4RRFFQ69G5FAV',
    '/api/v1/openapi.json',
    '/api/v1/docs',
    '/api/nothing/here',
    '/admin/host/status',
    '/admin/host/clock',
    '/admin/host/crash-points',
    '/admin/functions/anything',
    '/runtime/webhooks/durabletask/instances/x',
    '/runtime/webhooks/durabletask/orchestrators/x',
    '/_host/not-the-token/runtime/webhooks/durabletask/orchestrators/x',
  ] as const;
  const escapes = ['%', '%z', '%zz', '%C0%AF', '%E2%82', '%FF', '%ED%A0%80', '%%', '%2', '%u0041', '%00', '%2F..%2F'];
  const badHosts = [
    '[',
    ']',
    '[::1',
    '[zz]',
    'localhost:99999',
    'localhost:-1',
    'localhost:',
    'a b',
    'x/y',
    'user@host',
    ' ',
    ':80',
    'lo\u00e7al',
  ];
  const methods = [
    'GET',
    'POST',
    'PUT',
    'PATCH',
    'DELETE',
    'OPTIONS',
    'HEAD',
    'TRACE',
    'PROPFIND',
    'CONNECT',
    'BREW',
    'get',
    'G-T',
    '',
  ];
  const head = (method: string, target: string, lines: string[]) =>
    `${method} ${target} HTTP/1.1\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;

  const cases: (() => FuzzCase)[] = [
    () => ({ kind: 'bad host', payload: [head('GET', pick(paths), [`Host: ${pick(badHosts)}`])] }),
    () => {
      const path = `${pick(paths)}/${junk(int(4), 'abc')}${pick(escapes)}${junk(int(4), 'xyz')}`;
      return { kind: 'bad escape', payload: [head(pick(['GET', 'POST', 'DELETE']), path, ['Host: localhost'])] };
    },
    () => {
      const target = pick([
        `http://elsewhere.example${pick(paths)}`,
        'https://localhost/api/healthz',
        '*',
        'localhost:443',
        `//elsewhere.example${pick(paths)}`,
        `/${'a'.repeat(8000)}`,
        `${pick(paths)}?q=${pick(escapes)}&code=${junk(8, 'abc')}`,
        `${pick(paths)}#fragment`,
        '/api/../admin/host/status',
      ]);
      return { kind: 'odd target', payload: [head('GET', target, ['Host: localhost'])] };
    },
    () => {
      const lines = pick([
        [`${junk(6, 'a(b)c[d]')}: x`],
        ['NoColonHere'],
        [' leading-space: x'],
        ['X-Folded: a', ' continued'],
        [`X-Binary: ${junk(20)}`],
        [`X-Huge: ${'h'.repeat(20_000)}`],
        Array.from({ length: 300 }, (_, i) => `X-Many-${i}: ${i}`),
        ['Content-Length: 3', 'Content-Length: 4'],
        ['Content-Length: 3', 'Transfer-Encoding: chunked'],
        ['Transfer-Encoding: gzip, chunked, identity'],
        ['Content-Length: -1'],
        ['Content-Length: 0x10'],
        [`Authorization: Bearer mhk_${junk(26, '0123456789abcdefghjkmnpqrstvwxyz')}_${junk(20, 'abc')}`],
        [`X-Api-Key: ${junk(40, 'abcdef012345_')}`],
        [`x-functions-key: ${junk(30, 'abc')}`],
        ['Connection: Upgrade', 'Upgrade: websocket'],
        ['Expect: 100-continue', 'Content-Length: 5'],
      ]);
      const hostLine = random() < 0.9 ? ['Host: localhost'] : [];
      // A body announced but never sent (Expect, odd transfer codings) keeps the request open: cut it short.
      const truncated = lines.some((l) => /^(Expect|Transfer-Encoding):/.test(l));
      return {
        kind: 'header junk',
        payload: [head(pick(['GET', 'POST']), pick(paths), [...hostLine, ...lines])],
        truncated,
      };
    },
    () => ({
      kind: 'odd method',
      payload: [head(pick(methods), pick(paths), ['Host: localhost', 'Content-Length: 0'])],
    }),
    () => ({ kind: 'garbage', payload: [Buffer.from(junk(1 + int(300)), 'latin1')], truncated: true }),
    () => {
      const path = pick(paths);
      const declared = pick(['999999999999', '104857601']);
      return {
        kind: 'huge declared body',
        payload: [head('POST', path, ['Host: localhost', `Content-Length: ${declared}`]), '{"a":'],
      };
    },
    () => {
      const body = `{"name":"${'x'.repeat(1 + int(300_000))}"}`;
      return {
        kind: 'large body',
        payload: [
          head(pick(['POST', 'PUT', 'PATCH']), pick(paths), [
            'Host: localhost',
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(body)}`,
          ]),
          body,
        ],
      };
    },
    () => ({
      kind: 'truncated body',
      payload: [
        head('POST', pick(paths), ['Host: localhost', 'Content-Type: application/json', 'Content-Length: 500']),
        '{"name":',
      ],
      truncated: true,
    }),
    () => ({
      kind: 'bad chunking',
      payload: [
        head('POST', pick(paths), ['Host: localhost', 'Transfer-Encoding: chunked']),
        pick(['zz\r\nabc\r\n0\r\n\r\n', '5\r\nab\r\n0\r\n\r\n', `${'f'.repeat(20)}\r\n`, '3;ext="\r\nabc\r\n']),
      ],
      truncated: true,
    }),
    () => {
      const body = pick(['{', 'null', '[]', '{"name":1}', `{"scopes":["${junk(5, 'abc')}"]}`, junk(50)]);
      return {
        kind: 'junk json',
        payload: [
          head(pick(['POST', 'PATCH', 'PUT']), pick(paths), [
            'Host: localhost',
            pick([
              'Content-Type: application/json',
              'Content-Type: text/plain',
              'Content-Type: application/x-www-form-urlencoded',
            ]),
            `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
          ]),
          Buffer.from(body, 'latin1'),
        ],
      };
    },
  ];
  return () => pick(cases)();
}

/** A fingerprint of every row, message and blob, keyed by where it lives. ETags catch in-place updates. */
async function storageSnapshot(connection: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const insecure = { allowInsecureConnection: true };
  for await (const table of TableServiceClient.fromConnectionString(connection, insecure).listTables()) {
    const name = table.name!;
    const rows: string[] = [];
    for await (const entity of TableClient.fromConnectionString(connection, name, insecure).listEntities()) {
      rows.push(`${entity.partitionKey}|${entity.rowKey}|${entity.etag}`);
    }
    out[`table ${name}`] = `${rows.length} ${createHash('sha256').update(rows.sort().join('\n')).digest('hex')}`;
  }
  const queues = QueueServiceClient.fromConnectionString(connection);
  for await (const queue of queues.listQueues()) {
    const properties = await queues.getQueueClient(queue.name).getProperties();
    out[`queue ${queue.name}`] = String(properties.approximateMessagesCount ?? 0);
  }
  const blobs = BlobServiceClient.fromConnectionString(connection);
  for await (const container of blobs.listContainers()) {
    const items: string[] = [];
    for await (const blob of blobs.getContainerClient(container.name).listBlobsFlat()) {
      items.push(`${blob.name}|${blob.properties.etag}`);
    }
    out[`container ${container.name}`] = items.sort().join('\n');
  }
  return out;
}

/** A client that sends its headers a byte at a time and never finishes. */
function slowClient(port: number): { socket: Socket; stop(): void } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const text = `GET /api/healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'s'.repeat(10_000)}`;
  let at = 0;
  const timer = setInterval(() => {
    if (socket.writable && at < text.length) socket.write(text[at++]!);
  }, 50);
  return {
    socket,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

let azurite: RunningAzurite;
let host: HostProcess;

beforeAll(async () => {
  azurite = await startAzurite();
  host = await startHostProcess(
    sharedAzuriteEnv({
      DataStorage: azurite.connectionString,
      AzureWebJobsStorage: azurite.connectionString,
      LOCAL_FUNCTIONS_KEY: FUNCTIONS_KEY,
      LOCAL_TIME_SCALE: '0.001',
    }),
  );
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

describe('the local host under a fuzz run', () => {
  it('answers thousands of malformed requests without a 5xx, keeps serving and writes nothing', async () => {
    const port = portOf(host.baseUrl);
    // Startup writes (bootstrap, durable hub tables) are done once the host answers.
    expect((await call(host.baseUrl, 'GET', '/api/healthz')).status).toBe(200);
    const before = await storageSnapshot(azurite.connectionString);

    const slow = Array.from({ length: SLOW_CLIENTS }, () => slowClient(port));
    const next = generator(0x5eed);
    const tally: Record<string, number> = {};
    const failures: string[] = [];
    let sent = 0;
    const started = performance.now();
    const worker = async () => {
      while (sent < TOTAL) {
        sent += 1;
        const fuzz = next();
        let res: RawResponse;
        try {
          res = await rawRequest(port, fuzz.payload, { halfClose: fuzz.truncated === true, timeoutMs: 15_000 });
        } catch (error) {
          failures.push(`${fuzz.kind}: ${String(error)}`);
          continue;
        }
        const outcome = res.status === undefined ? 'closed' : String(res.status);
        tally[outcome] = (tally[outcome] ?? 0) + 1;
        if (res.status === undefined && !fuzz.truncated) failures.push(`${fuzz.kind}: closed without an answer`);
        if (res.status !== undefined && res.status >= 500) failures.push(`${fuzz.kind}: ${res.status} ${res.body}`);
        // The host's own "no function serves this" is an empty 404, as in Azure (docs/decisions.md §44):
        // a path outside /api, or a method no function (not even the catch-all) declares.
        const hostNotFound = res.status === 404 && res.body === '' && res.headers['content-length'] === '0';
        if (
          res.status !== undefined &&
          res.status >= 400 &&
          !hostNotFound &&
          !res.headers['content-type']?.includes('problem+json')
        ) {
          failures.push(`${fuzz.kind}: ${res.status} without a problem document`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsedMs = Math.round(performance.now() - started);

    // The slow clients are still connected, and the host still answers everyone else.
    const health = await call(host.baseUrl, 'GET', '/api/healthz');
    for (const client of slow) client.stop();
    const after = await storageSnapshot(azurite.connectionString);
    console.log(
      `fuzz: ${sent} malformed requests (${SLOW_CLIENTS} slow clients alongside) in ${elapsedMs} ms; answers ${JSON.stringify(tally)}; ${failures.length} failures; healthz ${health.status}; storage ${JSON.stringify(after) === JSON.stringify(before) ? 'unchanged' : 'CHANGED'} (${Object.keys(after).length} tables/queues/containers)`,
    );

    expect(failures.slice(0, 20)).toEqual([]);
    expect(health.status).toBe(200);
    expect(host.child.exitCode).toBeNull();
    expect(after).toEqual(before);
    expect(host.output()).not.toMatch(/uncaught exception|unhandled rejection|request failed/);
  }, 120_000);
});
