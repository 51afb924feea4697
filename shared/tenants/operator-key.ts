import { nowMs } from '../clock';
import { EXAMPLE_OPERATOR_API_KEY } from '../config/settings';
import { errorFields, logger } from '../observability/logger';
import type { SecretSource } from '../secrets/secret-source';

/**
 * Where the platform operator's key comes from: the secret `operator-api-key` of the hub's secret
 * source — Key Vault in Azure (so it can be rotated without a deployment), OPERATOR_API_KEY in the
 * local settings. The answer is cached for a minute, including "there is none": a deployment
 * without an operator key must not send every unknown key to Key Vault. The example value, and
 * anything too short to be a real secret, count as no key in production.
 */
export const OPERATOR_KEY_SECRET = 'operator-api-key';
const MIN_LENGTH = 32;

export class OperatorKeySource {
  private cached: { value: string | undefined; expiresAt: number } | undefined;
  private inFlight: Promise<string | undefined> | undefined;

  constructor(
    private readonly secrets: SecretSource,
    private readonly production: boolean,
    private readonly ttlMs = 60_000,
  ) {}

  /** The operator key, or undefined when none is configured (the operator plane is then closed). */
  async current(): Promise<string | undefined> {
    if (this.cached && this.cached.expiresAt > nowMs()) return this.cached.value;
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<string | undefined> {
    let value: string | undefined;
    try {
      value = await this.secrets.get(OPERATOR_KEY_SECRET);
    } catch (error) {
      logger.warn('no operator key: the operator API is closed', {
        source: OPERATOR_KEY_SECRET,
        ...errorFields(error),
      });
      value = undefined;
    }
    if (value !== undefined && (value.length < MIN_LENGTH || (this.production && value === EXAMPLE_OPERATOR_API_KEY))) {
      logger.warn('operator key refused: too short or the example value', { source: OPERATOR_KEY_SECRET });
      value = undefined;
    }
    this.cached = { value, expiresAt: nowMs() + this.ttlMs };
    return value;
  }
}
