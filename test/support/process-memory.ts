import { readFileSync } from 'node:fs';

/**
 * Measuring a host process as Azure would run it (docs/sync.md, "Memory"), for the sync e2e and
 * bench/sync.ts.
 */

/**
 * The V8 heap Node gives the worker on a 2,048 MB instance (infra's `instanceMemoryMB`): Node
 * sizes the heap from the memory the container is constrained to, a quarter of it for the old
 * generation. Without it a host sizes its heap from this machine's RAM, and V8 lets garbage pile
 * up to about four times the live heap before a full collection (docs/benchmarks.md, "Sync").
 */
export const INSTANCE_HEAP = '--max-old-space-size=512';

/** A process's resident set in KiB (0 once it is gone). */
export function rssKiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}
