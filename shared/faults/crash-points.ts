/**
 * Named places between two steps where a test can make the process die, to prove that work
 * accepted before the crash resumes or fails visibly afterwards (docs/design.md §11). In production no
 * point is armed and `crashPoint` is a no-op. The local host arms points from LOCAL_CRASH_POINTS
 * (comma-separated names) or its test hook; an armed point kills the process abruptly — no
 * cleanup, no flushing — like a host recycle or an out-of-memory kill.
 */
const armed = new Map<string, number>();

/** Arm `name` to crash on its `nth` hit (1 = the first time it is reached). */
export function armCrashPoint(name: string, nth = 1): void {
  armed.set(name, nth);
}

export function disarmCrashPoints(): void {
  armed.clear();
}

export function armedCrashPoints(): string[] {
  return [...armed.keys()];
}

export function armFromEnvironment(value: string | undefined): void {
  for (const entry of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, nth] = entry.split('@');
    armCrashPoint(name!, nth ? Number(nth) : 1);
  }
}

let onCrash: (name: string) => never = (name) => {
  process.stderr.write(`crash point reached: ${name}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

/** In-process tests replace the kill with a throw they can observe. */
export function setCrashHandler(handler: (name: string) => never): void {
  onCrash = handler;
}

export function crashPoint(name: string): void {
  const remaining = armed.get(name);
  if (remaining === undefined) return;
  if (remaining > 1) {
    armed.set(name, remaining - 1);
    return;
  }
  armed.delete(name);
  onCrash(name);
}
