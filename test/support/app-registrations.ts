import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installFunctionsCore } from '../../local/functions-core-shim';
import { FunctionRegistry } from '../../local/registry';
import { openApiDocument } from '../../shared/http/openapi';

/**
 * Run from dist/ in a fresh process (`node dist/test/support/app-registrations.js`): loads the
 * deployed entries (dist/functions/*.js) through the registry shim, as the worker would, then
 * prints one JSON object: every registration's trigger and extra inputs, and the OpenAPI document
 * generated from the registered routes (which loads every route definition). Used by
 * test/integration/lazy-registration.test.ts; its output after a deliberate API change is the new
 * test/fixtures/openapi/document.json (`node dist/test/support/app-registrations.js --document`).
 */
export interface AppRegistration {
  name: string;
  trigger: { type: string; [property: string]: unknown };
  extraInputs: Array<{ type: string }>;
}

async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const registry = new FunctionRegistry();
  installFunctionsCore(registry, () => undefined);
  const dir = join(root, 'functions');
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .sort())
    require(join(dir, file));
  const registrations: AppRegistration[] = [...registry.functions.values()].map((f) => ({
    name: f.name,
    trigger: f.trigger,
    extraInputs: f.extraInputs,
  }));
  const document = await openApiDocument('/api');
  const out = process.argv.includes('--document') ? document : { registrations, document };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
