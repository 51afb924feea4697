import { existsSync, readFileSync } from 'node:fs';
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
