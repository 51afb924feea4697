import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/**
 * `VERB table` of every table request while `fn` runs, counted at the SDK's transport (every
 * Tables call goes through node:http). Entity paths such as `agentruns(PartitionKey=…)` count as
 * their table, a transaction as `$batch`.
 */
export async function tableTrips(fn: () => Promise<unknown>): Promise<string[]> {
  const trips: string[] = [];
  const onStart = (message: unknown) => {
    const req = (message as { request?: { method?: string; path?: string } }).request;
    const table = /^\/[^/]+\/([A-Za-z0-9$]+)/.exec(req?.path ?? '')?.[1];
    if (req && table) trips.push(`${req.method} ${table}`);
  };
  subscribe('http.client.request.start', onStart);
  try {
    await fn();
  } finally {
    unsubscribe('http.client.request.start', onStart);
  }
  return trips;
}
