import { type CredentialCipher, createCredentialCipher, keyUnavailable } from '../crypto/credential-cipher';
import { services } from './services';

/**
 * The process' credential cipher, built from the composition root's settings and secret source.
 * It lives here, not in shared/crypto, so the primitive never reaches up to the composition root.
 */
/** The process key ring: the Key Vault secret when named, else the local setting. */
async function keyRingFromSettings(): Promise<string> {
  const { settings, secrets } = services();
  if (settings.CREDENTIAL_KEY_SECRET_NAME) {
    try {
      return await secrets.get(settings.CREDENTIAL_KEY_SECRET_NAME);
    } catch (error) {
      throw keyUnavailable(`secret "${settings.CREDENTIAL_KEY_SECRET_NAME}" could not be read`, error);
    }
  }
  if (settings.CREDENTIAL_ENCRYPTION_KEY) return settings.CREDENTIAL_ENCRYPTION_KEY;
  throw keyUnavailable('set CREDENTIAL_KEY_SECRET_NAME (Key Vault) or CREDENTIAL_ENCRYPTION_KEY (local development)');
}

let processCipher: CredentialCipher | undefined;

/** The process cipher, built on first use from services().secrets and the settings. */
export function credentialCipher(): CredentialCipher {
  processCipher ??= createCredentialCipher(keyRingFromSettings);
  return processCipher;
}

/** Tests that swap services() forget the process cipher with it. */
export function resetCredentialCipher(): void {
  processCipher = undefined;
}
