import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';

const fileSchema = z.object({
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/**
 * Core Tools reads local.settings.json into the environment; so does the local host. When the
 * developer has no local.settings.json yet, the committed example (safe local defaults) is used,
 * so `npm start` works on a fresh clone. Variables already in the environment win.
 */
export function loadLocalSettings(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const own = join(root, 'local.settings.json');
  const example = join(root, 'local.settings.example.json');
  const file = existsSync(own) ? own : example;
  if (!existsSync(file)) return 'none';
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a valid local settings file: ${parsed.error.message}`);
  for (const [name, value] of Object.entries(parsed.data.Values)) {
    if (env[name] === undefined) env[name] = String(value);
  }
  return file;
}

/**
 * The ports of this machine the storage connection string points at (Azurite's blob, queue and
 * table endpoints; `UseDevelopmentStorage=true` means the default 10000–10002). The local host
 * reserves them so no vendor or subscription URL can reach the storage every tenant's data is in.
 */
export function storagePorts(connectionString: string): number[] {
  if (/(^|;)\s*UseDevelopmentStorage\s*=\s*true/i.test(connectionString)) return [10000, 10001, 10002];
  const ports: number[] = [];
  for (const match of connectionString.matchAll(/(?:^|;)\s*(?:Blob|Queue|Table)Endpoint\s*=\s*([^;]+)/gi)) {
    try {
      const url = new URL((match[1] ?? '').trim());
      // A storage account reached by name (Azure) is not on this machine; an emulator is named by
      // address or as localhost.
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) === 0 && host !== 'localhost' && !host.endsWith('.localhost')) continue;
      ports.push(url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
    } catch {
      // Not a URL: nothing this machine listens on that could be named here.
    }
  }
  return ports;
}
