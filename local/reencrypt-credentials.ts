import { resolve } from 'node:path';
import { integrationDeps } from '../shared/integrations/deps';
import { reencryptAllIntegrationCredentials } from '../shared/integrations/reencrypt';
import { loadLocalSettings } from './local-settings';

/**
 * `npm run reencrypt-credentials`: rewrites every integration's credentials under the primary
 * credential key. Uses the same settings as the app (local.settings.json, or the environment: set
 * DataStorage__tableServiceUri / __blobServiceUri and KEY_VAULT_URI with `az login` to run it
 * against Azure). Safe to run again; see docs/runbooks/credential-key-rotation.md.
 */
async function main(): Promise<void> {
  loadLocalSettings(resolve(__dirname, '..', '..'));
  const result = await reencryptAllIntegrationCredentials(integrationDeps());
  process.stdout.write(
    `re-encrypted ${result.rewritten} of ${result.scanned} integrations` +
      (result.unreadable.length > 0
        ? `; ${result.unreadable.length} could not be opened with any key (keep the old key in the ring): ${result.unreadable.join(', ')}\n`
        : '\n'),
  );
  if (result.unreadable.length > 0) process.exitCode = 2;
}

main().catch((error: unknown) => {
  process.stderr.write(`re-encryption failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
