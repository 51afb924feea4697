import { describe, expect, it } from 'vitest';
import { cappedExpiry, mayManage } from '../../shared/apikeys/api-keys';
import { operatorPrincipal, type Principal } from '../../shared/apikeys/principal';
import { grants, OPERATOR_SCOPE, SCOPES, type Scope, scopeSchema } from '../../shared/apikeys/scopes';
import type { ApiKeyRecord } from '../../shared/apikeys/tables';
import {
  EXAMPLE_CURSOR_SIGNING_KEY,
  EXAMPLE_OPERATOR_API_KEY,
  parseSettings,
  type SettingsError,
} from '../../shared/config/settings';
import type { SecretSource } from '../../shared/secrets/secret-source';
import { OperatorKeySource } from '../../shared/tenants/operator-key';

const DAY = 86_400_000;
const at = Date.parse('2026-03-01T00:00:00Z');
const principal = (scopes: Scope[], expiresAt?: string): Principal => ({
  tenantId: 't',
  keyId: 'k',
  scopes,
  expiresAt,
});
const record = (scopes: Scope[]): ApiKeyRecord => ({
  name: 'n',
  scopes,
  hash: '0'.repeat(64),
  hint: 'h',
  createdAt: '',
  updatedAt: '',
  createdBy: 'x',
});

describe('scopes', () => {
  it('admin implies every tenant scope but never the operator scope', () => {
    for (const scope of SCOPES) expect(grants(['admin'], scope)).toBe(true);
    expect(grants(['admin'], OPERATOR_SCOPE)).toBe(false);
  });

  it('the operator scope grants nothing but itself', () => {
    for (const scope of SCOPES) expect(grants(operatorPrincipal.scopes, scope)).toBe(false);
    expect(grants(operatorPrincipal.scopes, OPERATOR_SCOPE)).toBe(true);
  });

  it('no tenant key can carry the operator scope', () => {
    expect(scopeSchema.safeParse(OPERATOR_SCOPE).success).toBe(false);
  });
});

describe('key authority', () => {
  it('a key manages only keys whose every scope it holds', () => {
    expect(mayManage(principal(['apikeys:write']), record(['admin']))).toBe(false);
    expect(mayManage(principal(['apikeys:write']), record(['apikeys:write', 'events:read']))).toBe(false);
    expect(mayManage(principal(['apikeys:write', 'events:read']), record(['events:read']))).toBe(true);
    expect(mayManage(principal(['admin']), record(['admin', 'events:read']))).toBe(true);
  });

  it('caps expiry at the creator, the maximum lifetime and the request, whichever is first', () => {
    const creatorExpiry = new Date(at + 10 * 60_000).toISOString();
    expect(cappedExpiry(principal(['admin'], creatorExpiry), undefined, 365, at)).toBe(at + 10 * 60_000);
    expect(cappedExpiry(principal(['admin'], creatorExpiry), new Date(at + DAY).toISOString(), 365, at)).toBe(
      at + 10 * 60_000,
    );
    expect(cappedExpiry(principal(['admin']), undefined, 365, at)).toBe(at + 365 * DAY);
    expect(cappedExpiry(principal(['admin']), '2999-01-01T00:00:00Z', 30, at)).toBe(at + 30 * DAY);
    expect(cappedExpiry(principal(['admin']), new Date(at + DAY).toISOString(), 365, at)).toBe(at + DAY);
  });
});

describe('operator key source', () => {
  const source = (values: Record<string, string>, calls: string[] = []): SecretSource => ({
    get: async (name) => {
      calls.push(name);
      const value = values[name];
      if (value === undefined) throw new Error(`no ${name}`);
      return value;
    },
  });

  it('reads the secret operator-api-key and caches the answer, absence included', async () => {
    const calls: string[] = [];
    const key = 'o'.repeat(40);
    const present = new OperatorKeySource(source({ 'operator-api-key': key }, calls), true);
    expect(await present.current()).toBe(key);
    expect(await present.current()).toBe(key);
    const missing = new OperatorKeySource(source({}, calls), true);
    expect(await missing.current()).toBeUndefined();
    expect(await missing.current()).toBeUndefined();
    expect(calls).toEqual(['operator-api-key', 'operator-api-key']);
  });

  it('refuses the example value in production and short values everywhere', async () => {
    const example = { 'operator-api-key': EXAMPLE_OPERATOR_API_KEY };
    expect(await new OperatorKeySource(source(example), true).current()).toBeUndefined();
    expect(await new OperatorKeySource(source(example), false).current()).toBe(EXAMPLE_OPERATOR_API_KEY);
    expect(await new OperatorKeySource(source({ 'operator-api-key': 'short' }), false).current()).toBeUndefined();
  });
});

describe('settings for the operator plane and cursors', () => {
  const production = {
    HUB_ENVIRONMENT: 'production',
    DataStorage__tableServiceUri: 'https://x.table.core.windows.net',
    DataStorage__blobServiceUri: 'https://x.blob.core.windows.net',
    ServiceBusConnection__fullyQualifiedNamespace: 'x.servicebus.windows.net',
    CURSOR_SIGNING_KEY: 'c'.repeat(48),
  };

  it('accepts a production configuration with a real cursor key and defaults the key lifetime to 365 days', () => {
    const s = parseSettings(production);
    expect(s.API_KEY_MAX_LIFETIME_DAYS).toBe(365);
    expect(s.PUBLIC_BASE_URL).toBeUndefined();
    expect(parseSettings({ ...production, PUBLIC_BASE_URL: 'https://hub.example.com/' }).PUBLIC_BASE_URL).toBe(
      'https://hub.example.com',
    );
  });

  it('refuses the example operator key, a missing, example or unresolved cursor key in production', () => {
    const problems = (env: Record<string, string | undefined>) => {
      try {
        parseSettings(env);
        return [];
      } catch (error) {
        return (error as SettingsError).problems.map((p) => p.setting);
      }
    };
    expect(problems({ ...production, OPERATOR_API_KEY: EXAMPLE_OPERATOR_API_KEY })).toEqual(['OPERATOR_API_KEY']);
    expect(problems({ ...production, CURSOR_SIGNING_KEY: undefined })).toEqual(['CURSOR_SIGNING_KEY']);
    expect(problems({ ...production, CURSOR_SIGNING_KEY: EXAMPLE_CURSOR_SIGNING_KEY })).toEqual(['CURSOR_SIGNING_KEY']);
    const unresolved = '@Microsoft.KeyVault(VaultName=kv-x;SecretName=cursor-signing-key)';
    expect(new Set(problems({ ...production, CURSOR_SIGNING_KEY: unresolved }))).toEqual(
      new Set(['CURSOR_SIGNING_KEY']),
    );
    expect(problems({ ...production, PUBLIC_BASE_URL: 'ftp://hub.example.com' })).toEqual(['PUBLIC_BASE_URL']);
  });
});
