import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';

/**
 * Storage operations counted at the SDKs' transport: every request the Tables, Queues and Blobs
 * clients make goes through node:http, whose diagnostics channel names the host (so the service,
 * by port) and the path (so the table or queue). Work the bench itself does to watch progress runs
 * inside `uncounted`, so only what the hub does is counted. Idle polls of empty queues are counted
 * apart (`GET <queue> (empty)` is not knowable at request start, so receives are split by queue:
 * the five stage queues against the rest).
 */
export interface OpCounter {
  /** `service VERB name` → count since the last reset. */
  snapshot(): Map<string, number>;
  reset(): void;
  /** Run `fn` without counting what it sends. */
  uncounted<T>(fn: () => Promise<T>): Promise<T>;
}

function portsOf(connectionString: string): Map<string, 'table' | 'queue' | 'blob'> {
  const out = new Map<string, 'table' | 'queue' | 'blob'>();
  for (const [key, service] of [
    ['TableEndpoint', 'table'],
    ['QueueEndpoint', 'queue'],
    ['BlobEndpoint', 'blob'],
  ] as const) {
    const match = new RegExp(`${key}=https?://[^:/;]+:(\\d+)`).exec(connectionString);
    if (match?.[1]) out.set(match[1], service);
  }
  return out;
}

/** Counts requests to the storage account of `connectionString()` (read lazily: the host sets it). */
export function countStorageOps(connectionString: () => string | undefined): OpCounter {
  const counts = new Map<string, number>();
  const quiet = new AsyncLocalStorage<true>();
  let ports: Map<string, 'table' | 'queue' | 'blob'> | undefined;
  subscribe('http.client.request.start', (message) => {
    if (quiet.getStore()) return;
    const req = (message as { request?: { method?: string; path?: string; getHeader(n: string): unknown } }).request;
    if (!req) return;
    if (!ports || ports.size === 0) ports = portsOf(connectionString() ?? '');
    const port = /:(\d+)$/.exec(String(req.getHeader('host') ?? ''))?.[1] ?? '';
    const service = ports.get(port);
    if (!service) return;
    // Path: /<account>/<table or queue or container>[...]; a table batch is `$batch`.
    const name = /^\/[^/]+\/([A-Za-z0-9$-]+)/.exec(req.path ?? '')?.[1] ?? '?';
    const verb = req.method ?? '?';
    const key = `${service} ${verb} ${name}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return {
    snapshot: () => new Map(counts),
    reset: () => counts.clear(),
    uncounted: (fn) => quiet.run(true, fn),
  };
}

/** A markdown table of operations per unit, by service and name, largest first. */
export function opsTable(counts: Map<string, number>, units: number, filter: (key: string) => boolean = () => true) {
  const rows = [...counts.entries()].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, v]) => s + v, 0);
  return {
    total: total / units,
    lines: [
      '| service verb name | per event |',
      '| --- | --- |',
      ...rows.map(([k, v]) => `| ${k} | ${(v / units).toFixed(2)} |`),
      `| **total** | **${(total / units).toFixed(2)}** |`,
    ],
  };
}
