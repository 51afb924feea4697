// azd postprovision hook (azure.yaml): after every `azd provision` / `azd up`, make sure the three
// secrets the app refuses to start without exist in the environment's Key Vault, creating only the
// missing ones (docs/deploy.md, "Secrets on the first provision"). Plain Node, no dependencies and
// no build, so it runs the same on every system azd runs on, before `npm install` has happened.
//
// Identity: the deployer's own azd login (`azd auth token`), the principal azd passes to the
// templates as AZURE_PRINCIPAL_ID, which app/rbac.bicep makes Key Vault Secrets Officer on the
// vault. Values: scripts/provision-secrets-core.mjs (generated here, sent only in HTTPS bodies).
import { execFileSync } from 'node:child_process';
import { ensureSecrets, keyVaultRestClient } from './provision-secrets-core.mjs';

const env = process.env;

function required(name) {
  const value = env[name];
  if (!value) {
    throw new Error(`${name} is not set: run this through azd (azd provision), which passes the template outputs`);
  }
  return value;
}

/** A token for `scope` from azd's own login; held in memory only, never printed. */
function azdToken(scope) {
  const out = execFileSync('azd', ['auth', 'token', '--output', 'json', '--scope', scope], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // Windows resolves azd.exe / azd.cmd through the shell's PATHEXT.
    shell: process.platform === 'win32',
  });
  const { token } = JSON.parse(out);
  if (!token) throw new Error('azd auth token returned no token: run `azd auth login`');
  return token;
}

/** Key Vault references (CURSOR_SIGNING_KEY) are resolved when the app starts: restart it once. */
async function restartApp() {
  const subscription = env.AZURE_SUBSCRIPTION_ID;
  const group = env.AZURE_RESOURCE_GROUP;
  const site = env.SERVICE_API_NAME;
  if (!subscription || !group || !site) return false;
  const url = `https://management.azure.com/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Web/sites/${site}/restart?api-version=2024-04-01`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${azdToken('https://management.azure.com/.default')}` },
  });
  return response.ok;
}

async function main() {
  const vaultUri = required('AZURE_KEY_VAULT_ENDPOINT');
  const secretNames = required('AZURE_KEY_VAULT_SECRET_NAMES')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  let token;
  const client = keyVaultRestClient({
    vaultUri,
    getToken: async () => {
      token ??= azdToken('https://vault.azure.net/.default');
      return token;
    },
  });
  // A role assignment made by this very provision can take a few minutes to reach Key Vault.
  let plan;
  for (let attempt = 1; ; attempt++) {
    try {
      plan = await ensureSecrets({
        client,
        required: secretNames,
        log: (line) => console.log(`postprovision: ${line}`),
      });
      break;
    } catch (error) {
      const retriable = error?.name === 'KeyVaultError' && error.status === 403 && error.code !== 'ForbiddenByFirewall';
      if (!retriable || attempt === 10) throw error;
      console.log(`postprovision: ${error.message}; waiting for the role assignment (attempt ${attempt} of 10)`);
      await new Promise((resolve) => setTimeout(resolve, 30_000));
    }
  }
  if (plan.create.length + plan.recover.length > 0) {
    const restarted = await restartApp().catch(() => false);
    console.log(
      restarted
        ? 'postprovision: app restarted so it reads the new secrets'
        : 'postprovision: restart the function app once so it reads the new secrets (azd deploy does)',
    );
  }
}

main().catch((error) => {
  console.error(`postprovision: ${error?.message ?? error}`);
  process.exitCode = 1;
});
