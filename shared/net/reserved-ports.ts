import type * as Os from 'node:os';
import { classifyAddress } from './address-class';

/**
 * Ports of this machine that no outbound call may reach: the local host's own listener (its
 * `/admin/*` and durable webhooks act for every tenant) and the storage emulator's blob, queue and
 * table ports (every tenant's data). Development lets the guard reach loopback so fake vendors and
 * receivers work; these ports stay closed even then (docs/decisions.md §42).
 *
 * Process state rather than a setting: the local host learns its HTTP port only once it listens
 * (tests ask for port 0), after the app has read its settings, and the guard must see the port from
 * the first connection on. The guard reads this set at connect time, so a port reserved later
 * still counts. In Azure nothing is reserved: production refuses loopback outright.
 */
const reserved = new Set<number>();

/** Called by the local host for its own ports. Ports outside 1–65535 are ignored. */
export function reserveLocalPorts(ports: Iterable<number>): void {
  for (const port of ports) if (Number.isInteger(port) && port > 0 && port < 65_536) reserved.add(port);
}

/** The live set (the network policy holds it, so later reservations apply to existing policies). */
export function reservedLocalPorts(): ReadonlySet<number> {
  return reserved;
}

/** node:os is only needed when a reserved port is actually dialled. */
let osModule: typeof Os | undefined;
function os(): typeof Os {
  osModule ??= require('node:os') as typeof Os;
  return osModule;
}

/**
 * Whether `address` is this machine: loopback, the unspecified address, or one of its own interface
 * addresses (a host listening on 0.0.0.0 answers on its LAN address too).
 */
export function isThisMachine(address: string): boolean {
  const kind = classifyAddress(address);
  if (kind === 'loopback' || kind === 'unspecified') return true;
  const bare = address
    .replace(/^\[|\]$/g, '')
    .replace(/^::ffff:/i, '')
    .toLowerCase();
  for (const entries of Object.values(os().networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.address.toLowerCase() === bare) return true;
  }
  return false;
}
