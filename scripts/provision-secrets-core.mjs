// The decisions of the postprovision hook (scripts/provision-secrets.mjs), kept apart from azd and
// the network so test/unit/provision-secrets.test.ts can drive them: which of the app's secrets are
// missing, what a fresh value of each looks like, and a Key Vault client over its REST API.
//
// Values are made here, on the deployer's machine, with node:crypto, and leave it only in the body
// of an HTTPS request to the vault: never on a command line (visible to other processes and in
// shell history), never in an environment variable, a Bicep parameter (deployment history keeps
// those) or a log line. Nothing here prints a value or a token; errors name secrets, not contents.
// docs/deploy.md, "Secrets on the first provision".
import { randomBytes as nodeRandomBytes } from 'node:crypto';

/** Key Vault data-plane API version used for every call. */
export const KEY_VAULT_API_VERSION = '7.4';

/**
 * The value each secret needs, as the app reads it: the credential key ring is one Fernet key
 * (base64url with padding of 32 random bytes, shared/crypto/fernet.ts); the cursor signing key and
 * the operator key are opaque strings the app requires to be at least 32 characters long.
 */
export const SECRET_FORMATS = {
  'credential-encryption-key': (randomBytes) =>
    randomBytes(32).toString('base64').replaceAll('+', '-').replaceAll('/', '_'),
  'cursor-signing-key': (randomBytes) => randomBytes(48).toString('base64url'),
  'operator-api-key': (randomBytes) => randomBytes(48).toString('base64url'),
};

/** A fresh value for one of the app's secrets; an unknown name is a mistake in the templates. */
export function generateSecret(name, randomBytes = nodeRandomBytes) {
  const format = SECRET_FORMATS[name];
  if (!format) throw new Error(`no value format for secret ${name}; add one to scripts/provision-secrets-core.mjs`);
  return format(randomBytes);
}

/**
 * What to do with each required secret: keep one that exists, recover one that was deleted (soft
 * delete keeps it for the retention period, and its value may be the key that decrypts stored
 * credentials: a new value would orphan them), create the rest.
 */
export function planSecrets({ required, present, deleted }) {
  const have = new Set(present);
  const gone = new Set(deleted);
  return {
    keep: required.filter((name) => have.has(name)),
    recover: required.filter((name) => !have.has(name) && gone.has(name)),
    create: required.filter((name) => !have.has(name) && !gone.has(name)),
  };
}

/**
 * Brings the vault to "every required secret exists". Creates only what is missing; never reads or
 * overwrites a value. Returns the plan it carried out.
 */
export async function ensureSecrets({ client, required, generate = generateSecret, log = () => {} }) {
  const [present, deleted] = await Promise.all([client.listSecretNames(), client.listDeletedSecretNames()]);
  const plan = planSecrets({ required, present, deleted });
  for (const name of plan.keep) log(`secret ${name}: exists, left as it is`);
  for (const name of plan.recover) {
    await client.recoverSecret(name);
    log(`secret ${name}: was deleted, recovered with its previous value`);
  }
  for (const name of plan.create) {
    await client.setSecret(name, generate(name));
    log(`secret ${name}: created with a new random value`);
  }
  return plan;
}

/** A refusal from Key Vault, with what the deployer can do about it; never carries a value. */
export class KeyVaultError extends Error {
  constructor(operation, status, code) {
    const hints = {
      401: 'the token was refused: run `azd auth login` again',
      403:
        code === 'ForbiddenByFirewall'
          ? 'the vault firewall refuses this machine: set DEPLOYER_IP_ADDRESS (docs/deploy.md, "Private networking") or run from inside the network'
          : 'no Key Vault data role: the deployer needs Key Vault Secrets Officer on the vault (granted by app/rbac.bicep to AZURE_PRINCIPAL_ID; a new assignment can take a few minutes to apply)',
    };
    super(
      `Key Vault ${operation}: HTTP ${status}${code ? ` ${code}` : ''}${hints[status] ? `; ${hints[status]}` : ''}`,
    );
    this.name = 'KeyVaultError';
    this.status = status;
    this.code = code;
  }
}

/**
 * A Key Vault client over the REST API with `fetch` and a bearer token from `getToken()` (the hook
 * asks azd for one; tests point it at a loopback fake). Lists return names only: Key Vault's list
 * operations never return values, so the hook never holds an existing secret.
 */
export function keyVaultRestClient({ vaultUri, getToken, fetch = globalThis.fetch }) {
  const base = vaultUri.replace(/\/+$/, '');
  const call = async (operation, method, path, body) => {
    const url = path.startsWith('http') ? path : `${base}${path}`;
    const target = new URL(url);
    if (!target.searchParams.has('api-version')) target.searchParams.set('api-version', KEY_VAULT_API_VERSION);
    if (target.origin !== new URL(base).origin)
      throw new Error(`Key Vault ${operation}: refusing a link to another host`);
    const response = await fetch(target, {
      method,
      headers: {
        authorization: `Bearer ${await getToken()}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      // Only the error codes travel (ForbiddenByRbac, ForbiddenByFirewall, ...), not the message.
      let code;
      try {
        const { error } = await response.json();
        code = error?.innererror?.code ?? error?.code;
      } catch {
        code = undefined;
      }
      throw new KeyVaultError(operation, response.status, code);
    }
    return response.status === 204 ? undefined : response.json();
  };
  const listNames = async (operation, path) => {
    const names = [];
    let next = path;
    while (next) {
      const page = await call(operation, 'GET', next);
      for (const item of page.value ?? []) {
        const name = new URL(item.id ?? item.recoveryId ?? '').pathname.split('/').filter(Boolean)[1];
        if (name) names.push(name);
      }
      next = page.nextLink ?? undefined;
    }
    return names;
  };
  return {
    listSecretNames: () => listNames('list secrets', '/secrets'),
    listDeletedSecretNames: () => listNames('list deleted secrets', '/deletedsecrets'),
    setSecret: async (name, value) => {
      await call(`set ${name}`, 'PUT', `/secrets/${encodeURIComponent(name)}`, {
        value,
        contentType: 'generated by the azd postprovision hook',
        attributes: { enabled: true },
      });
    },
    recoverSecret: async (name) => {
      await call(`recover ${name}`, 'POST', `/deletedsecrets/${encodeURIComponent(name)}/recover`);
    },
  };
}
