import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { azuriteConnectionString } from '../shared/storage/connection';

/**
 * Starts Azurite (the npm package, no global install) as a child process and waits until its
 * three services listen. Port 0 lets the OS pick free ports; the real ones are read from Azurite's
 * startup lines, so parallel test files never collide.
 */
export interface AzuriteOptions {
  /** Folder for disk persistence; omit for in-memory. */
  location?: string;
  ports?: { blob: number; queue: number; table: number };
  host?: string;
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  stop(): Promise<void>;
}

/** A port the local host needs is taken; the message says which setting moves it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly service: string,
    readonly setting: string,
  ) {
    super(
      `Port ${port} (${service}) is already in use — is another \`npm start\` or Azurite running? Stop it, or set ${setting} to another port (0 picks a free one)${service.startsWith('Azurite') ? ', or LOCAL_AZURITE=external to use the running Azurite through DataStorage' : ''}.`,
    );
    this.name = 'PortInUseError';
  }
}

function ownerFile(location: string): string {
  return join(location, 'hub-azurite.pid');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A host that crashed leaves its Azurite flushing to the same folder for a moment. Opening the
 * folder before that Azurite has exited would read half-written files and lose acknowledged
 * writes, so wait for the previous owner (recorded in the folder) to be gone.
 */
async function waitForPreviousAzurite(location: string, timeoutMs: number): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(ownerFile(location), 'utf8'));
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new Error(`Another Azurite (pid ${pid}) still uses ${location}; stop it or choose LOCAL_AZURITE_LOCATION.`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? { blob: 0, queue: 0, table: 0 };
  // Azurite runs in a child that shuts itself down (gracefully: SIGTERM makes it flush its
  // metadata to disk) when its parent's IPC channel closes. A host killed with SIGKILL therefore
  // leaves no orphan holding the ports, and — like real Azure Storage outliving a crashed
  // instance — loses none of the writes it acknowledged.
  const bootstrap = [
    // Once the parent is gone its end of stdout/stderr is closed: a shutdown message would fail
    // with EPIPE and kill Azurite before it saved, so those errors are ignored.
    "process.stdout.on('error', () => {}); process.stderr.on('error', () => {});",
    "process.on('disconnect', () => { process.kill(process.pid, 'SIGTERM'); setTimeout(() => process.exit(0), 10000).unref(); });",
    "process.argv.splice(1, 0, 'azurite');",
    `require(${JSON.stringify(require.resolve('azurite/dist/src/azurite.js'))});`,
  ].join(' ');
  const args = [
    '-e',
    bootstrap,
    '--',
    '--blobHost',
    host,
    '--queueHost',
    host,
    '--tableHost',
    host,
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--silent',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    await waitForPreviousAzurite(options.location, options.startTimeoutMs ?? 30000);
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', '256');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  // Record who owns the folder; the pid outlives this process if it is killed (see above).
  if (options.location && child.pid) writeFileSync(ownerFile(options.location), String(child.pid));
  const found: Partial<Record<'blob' | 'queue' | 'table', number>> = {};
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${options.startTimeoutMs ?? 30000} ms:\n${output}`)),
      options.startTimeoutMs ?? 30000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.on('exit', (code) => {
      const busy = /EADDRINUSE[^\n]*:(\d+)/.exec(output);
      if (busy) {
        const port = Number(busy[1]);
        const which = port === ports.blob ? 'BLOB' : port === ports.queue ? 'QUEUE' : 'TABLE';
        fail(new PortInUseError(port, `Azurite ${which.toLowerCase()} service`, `LOCAL_AZURITE_${which}_PORT`));
      } else fail(new Error(`Azurite exited with code ${code}:\n${output}`));
    });
    child.on('error', fail);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const m of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/g,
      )) {
        found[m[1]!.toLowerCase() as 'blob' | 'queue' | 'table'] = Number(m[2]);
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  const actual = { blob: found.blob!, queue: found.queue!, table: found.table! };
  return {
    connectionString: azuriteConnectionString(host, actual),
    ports: actual,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
