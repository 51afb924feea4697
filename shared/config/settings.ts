import { z } from 'zod';
import { isValidKeyRing } from '../crypto/key-ring';

/**
 * Every app setting the hub reads, in one schema (read once, typed). Each entry records where it
 * must be provided: `azure` settings are written by infra/main.bicep (a test checks that), `local`
 * ones only matter to the local host and tests. local.settings.example.json documents each one
 * with a safe local default.
 */
export type SettingScope = 'azure' | 'local' | 'optional';

interface SettingSpec {
  schema: z.ZodType;
  scope: SettingScope;
  description: string;
}

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/**
 * A storage connection in the Functions convention: either `<Name>` holds a connection string
 * (local, Azurite) or `<Name>__tableServiceUri` / `__blobServiceUri` / `__queueServiceUri` hold
 * account URLs reached with managed identity (`<Name>__clientId` picks a user-assigned identity).
 */
export const settingSpecs = {
  HUB_ENVIRONMENT: {
    schema: z.enum(['production', 'development']).default('production'),
    scope: 'azure',
    description:
      'production enforces https and the SSRF guard on every outbound URL and refuses the bootstrap key; development allows http and loopback so fakes and demos work.',
  },
  DataStorage: {
    schema: z.string().min(1).optional(),
    scope: 'optional',
    description:
      'Connection string for the hub data account (tables, blobs, local queues). Local only; Azure uses the __*ServiceUri settings with managed identity.',
  },
  DataStorage__tableServiceUri: {
    schema: z.url().optional(),
    scope: 'azure',
    description: 'Table endpoint of the data account, reached with managed identity.',
  },
  DataStorage__blobServiceUri: {
    schema: z.url().optional(),
    scope: 'azure',
    description: 'Blob endpoint of the data account, reached with managed identity.',
  },
  DataStorage__queueServiceUri: {
    schema: z.url().optional(),
    scope: 'optional',
    description: 'Queue endpoint of the data account (used only when BUS_MODE=storage-queues).',
  },
  DataStorage__clientId: {
    schema: z.string().min(1).optional(),
    scope: 'azure',
    description:
      'Client id of the user-assigned managed identity used for the data account, Service Bus and Key Vault.',
  },
  BUS_MODE: {
    schema: z.enum(['servicebus', 'storage-queues']).default('servicebus'),
    scope: 'azure',
    description:
      'servicebus in Azure; storage-queues runs the Service Bus semantics on Azurite Storage queues (local host).',
  },
  ServiceBusConnection__fullyQualifiedNamespace: {
    schema: z.string().min(1).optional(),
    scope: 'azure',
    description: 'Service Bus namespace host name (<ns>.servicebus.windows.net), reached with managed identity.',
  },
  QUEUE_MAX_DELIVERY_COUNT: {
    schema: positiveInt(5),
    scope: 'azure',
    description:
      'Deliveries before a message that keeps failing (crash or poison) is dead-lettered; main.bicep sets the same value on every queue.',
  },
  QUEUE_LOCK_DURATION_SECONDS: {
    schema: positiveInt(60),
    scope: 'optional',
    description: 'Peek-lock duration of the emulated queues; a message not settled in this time is delivered again.',
  },
  RETRY_AFTER_MAX_SECONDS: {
    schema: positiveInt(3600),
    scope: 'optional',
    description:
      "Longest vendor Retry-After a planned retry honours; longer hints are cut to it (0 or a past date falls back to the stage's backoff).",
  },
  KEY_VAULT_URI: {
    schema: z.url().optional(),
    scope: 'azure',
    description: 'Key Vault holding the credential encryption key and other secrets.',
  },
  CREDENTIAL_KEY_SECRET_NAME: {
    schema: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,127}$/, 'must be a Key Vault secret name (letters, digits and dashes)')
      .optional(),
    scope: 'azure',
    description:
      'Name of the secret holding the credential key ring (Fernet keys, comma-separated, primary first), read through the secret source (Key Vault with managed identity in Azure). Wins over CREDENTIAL_ENCRYPTION_KEY. See docs/runbooks/credential-key-rotation.md.',
  },
  CREDENTIAL_ENCRYPTION_KEY: {
    schema: z
      .string()
      .refine(isValidKeyRing, 'must be one or more Fernet keys (base64url of 32 bytes), comma-separated')
      .optional(),
    scope: 'local',
    description:
      'The credential key ring itself, for local use: Fernet keys, comma-separated, the first encrypts and all decrypt. Azure reads it from Key Vault (CREDENTIAL_KEY_SECRET_NAME) instead.',
  },
  APPLICATIONINSIGHTS_CONNECTION_STRING: {
    schema: z.string().min(1).optional(),
    scope: 'azure',
    description: 'Application Insights connection string for OpenTelemetry export.',
  },
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {
    schema: z.string().min(1).optional(),
    scope: 'azure',
    description:
      '`ClientId=<identity>;Authorization=AAD`: the managed identity whose Entra token signs every telemetry export (local auth is off on the component).',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: z.url().optional(),
    scope: 'optional',
    description:
      'Local: an OTLP/HTTP endpoint (a collector or Jaeger) for spans when no Application Insights connection string is set.',
  },
  HUB_TELEMETRY: {
    schema: z.enum(['auto', 'off']).default('auto'),
    scope: 'optional',
    description: '`off` switches telemetry off even when a connection string is set (tests, benchmarks).',
  },
  DURABLE_TASK_HUB: {
    schema: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/, 'must be 3-45 letters or digits, starting with a letter')
      .default('MspHub'),
    scope: 'azure',
    description: 'Durable Functions task hub name (host.json reads it too).',
  },
  BOOTSTRAP_API_KEY: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    scope: 'local',
    description: 'Admin key accepted for BOOTSTRAP_TENANT_ID, for local use; refused when HUB_ENVIRONMENT=production.',
  },
  BOOTSTRAP_TENANT_ID: {
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be lowercase letters, digits and dashes')
      .default('local-dev'),
    scope: 'local',
    description: 'Tenant the bootstrap key belongs to.',
  },
  API_RATE_LIMIT_PER_MINUTE: {
    schema: positiveInt(600),
    scope: 'azure',
    description: 'Requests per minute allowed for one API key across all instances.',
  },
  API_MAX_BODY_BYTES: {
    schema: positiveInt(256 * 1024),
    scope: 'optional',
    description: 'Largest admin API request body accepted; larger bodies get 413.',
  },
  OPERATOR_API_KEY: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    scope: 'local',
    description:
      'The platform operator key (scope operator only: /api/v1/tenants). Local only; in Azure it is the Key Vault secret operator-api-key. The example value is refused in production.',
  },
  API_KEY_MAX_LIFETIME_DAYS: {
    schema: z.coerce.number().int().min(1).max(3650).default(365),
    scope: 'optional',
    description:
      'Longest life of any API key: a key created without expiresAt, or with a later one, expires after this many days.',
  },
  PUBLIC_BASE_URL: {
    schema: z
      .url()
      .refine((u) => /^https?:\/\//.test(u) && !/[?#]/.test(u), 'must be an http(s) URL without query or fragment')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    scope: 'azure',
    description:
      'Public base URL of the hub (e.g. https://hub.example.com), used in the OpenAPI servers list and webhook URLs; never taken from the request Host header. Unset: relative URLs.',
  },
  HUB_EGRESS_IPS: {
    // Written by infra/main.bicep from the NAT gateway's static public IP (staticEgress); empty or
    // unset means the app's outbound addresses are the platform's shared ones, which change.
    schema: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== ''),
      )
      .pipe(z.array(z.union([z.ipv4(), z.ipv6()])).max(16))
      .optional(),
    scope: 'azure',
    description:
      "Static public IP addresses the hub's outbound traffic leaves from (comma-separated; set by infra when staticEgress is on); answered by GET /api/v1/meta/egress. Unset: egress is not static.",
  },
  CURSOR_SIGNING_KEY: {
    schema: z
      .string()
      .min(32, 'must be at least 32 characters')
      .refine((v) => !v.startsWith('@Microsoft.KeyVault('), 'is an unresolved Key Vault reference')
      .optional(),
    scope: 'azure',
    description:
      'Secret that signs list cursors (in Azure a Key Vault reference to the secret cursor-signing-key). Required in production.',
  },
  OUTBOUND_DISABLE_AFTER_FAILING_HOURS: {
    schema: z.coerce.number().int().min(1).max(8760).default(120),
    scope: 'optional',
    description:
      'An outbound webhook subscription whose attempts keep failing with no success for this many hours is disabled with the reason (default 120 = 5 days).',
  },
  OUTBOUND_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(1).max(3650).default(30),
    scope: 'optional',
    description:
      'Outbound events, deliveries and their attempts older than this many days are purged by the hourly outbound-retention timer (default 30).',
  },
  IDEMPOTENCY_KEY_RETENTION_HOURS: {
    schema: z.coerce.number().int().min(1).max(720).default(24),
    scope: 'optional',
    description:
      'How long an Idempotency-Key is remembered on publish and create routes: a retry within this many hours replays the first answer (default 24).',
  },
  EVENT_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(1).max(3650).default(30),
    scope: 'optional',
    description:
      'Inbound events (timelines, payload blobs, dedup rows), rejections and Failure Analysis records whose day is older than this many days are purged by the hourly events-retention timer (default 30).',
  },
  STUCK_EVENT_MINUTES: {
    schema: z.coerce.number().int().min(10).max(10_080).default(120),
    scope: 'optional',
    description:
      'An inbound event left received or processing this long with nothing in flight is re-sent to validation (received) or failed with a Failure Analysis (processing) by the events-stuck-sweep timer; must exceed RETRY_AFTER_MAX_SECONDS (default 120).',
  },
  WEBHOOK_MAX_BODY_BYTES: {
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .max(4 * 1024 * 1024)
      .default(1024 * 1024),
    scope: 'optional',
    description: 'Largest inbound webhook body (POST /api/hooks/{id}); larger ones get 413 before any work.',
  },
  INBOUND_TENANT_RATE_PER_MINUTE: {
    schema: positiveInt(3000),
    scope: 'optional',
    description:
      'Inbound webhook deliveries per minute one tenant may send across all its webhooks and instances; more get 429 tenant_rate_exceeded with Retry-After (default 3000).',
  },
  INBOUND_TENANT_DAILY_QUOTA: {
    schema: z.coerce.number().int().positive().optional(),
    scope: 'optional',
    description:
      'Default daily (UTC) cap on inbound webhook deliveries per tenant, for tenants the operator gave no quota of their own (PUT /api/v1/tenants/{id}/limits); over it deliveries get 429 tenant_quota_exceeded until midnight UTC. Unset: no default quota.',
  },
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS: {
    schema: z.coerce.number().int().min(30).max(3600).default(300),
    scope: 'optional',
    description: 'How far a Standard Webhooks `webhook-timestamp` may be from the hub clock (default 5 minutes).',
  },
  LOG_LEVEL: {
    schema: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    scope: 'optional',
    description: 'Lowest level written by the hub logger.',
  },
  LOCAL_HTTP_PORT: {
    schema: port(7071),
    scope: 'local',
    description: 'Port the local host serves HTTP functions on.',
  },
  LOCAL_AZURITE: {
    schema: z.enum(['disk', 'memory', 'external']).default('disk'),
    scope: 'local',
    description:
      'disk: start Azurite with data in LOCAL_AZURITE_LOCATION; memory: start it in memory; external: use the one DataStorage points at.',
  },
  LOCAL_AZURITE_LOCATION: {
    schema: z.string().min(1).default('.azurite'),
    scope: 'local',
    description: 'Folder for the disk-backed Azurite.',
  },
  LOCAL_AZURITE_BLOB_PORT: { schema: port(10000), scope: 'local', description: 'Azurite blob port.' },
  LOCAL_AZURITE_QUEUE_PORT: { schema: port(10001), scope: 'local', description: 'Azurite queue port.' },
  LOCAL_AZURITE_TABLE_PORT: { schema: port(10002), scope: 'local', description: 'Azurite table port.' },
  LOCAL_HTTP_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    scope: 'local',
    description: 'Interface the local host listens on; 0.0.0.0 lets vendors on your network reach it.',
  },
  LOCAL_FUNCTIONS_GLOB: {
    schema: z.string().min(1).optional(),
    scope: 'local',
    description:
      "Which compiled function files the local host loads; defaults to package.json's main (dist/functions/*.js). Tests point it at fixtures.",
  },
  LOCAL_CRASH_POINTS: {
    schema: z.string().optional(),
    scope: 'local',
    description:
      'Comma-separated crash points (name or name@n) that kill the local host when reached; for kill-and-restart tests.',
  },
  LOCAL_TIME_SCALE: {
    schema: z.coerce.number().positive().max(100000).default(1),
    scope: 'local',
    description: 'Compresses timers and schedules on the local host: 60 makes a 1-minute durable timer fire after 1 s.',
  },
  LOCAL_TIME_LIMIT_SCALE: {
    schema: z.coerce.number().positive().max(100000).default(1),
    scope: 'local',
    description:
      "Divides the local host's time limits (Azure's 230 s HTTP response limit, host.json functionTimeout) so tests can overrun them quickly.",
  },
  LOCAL_TIMERS: {
    schema: z.enum(['schedule', 'manual']).default('schedule'),
    scope: 'local',
    description:
      'schedule: timer functions fire on their NCRONTAB schedules; manual: only when fired through POST /admin/functions/{name} (tests that count vendor calls).',
  },
  LOCAL_QUEUE_PREFIX: {
    schema: z
      .string()
      .regex(/^[a-z0-9]{1,20}-$/, 'must be 1-20 lowercase letters or digits followed by a dash')
      .optional(),
    scope: 'local',
    description:
      "Prefix for the emulated queues in Azurite, so several local hosts can share one Azurite without taking each other's messages (the test suite sets one per host).",
  },
  LOCAL_FAKE_VENDORS: {
    schema: bool.default(false),
    scope: 'local',
    description:
      'Starts the eight fake vendor servers (test/fakes) beside the local host and prints their URLs, for the README tour.',
  },
  LOCAL_FAKE_VENDORS_PORT: {
    schema: port(7201),
    scope: 'local',
    description: 'First port of the fake vendors (one per vendor, in catalog order); 0 picks free ports.',
  },
  LOCAL_FUNCTIONS_KEY: {
    schema: z.string().min(16).optional(),
    scope: 'local',
    description:
      'The local host requires it (x-functions-key header or code query) on functions with authLevel function or admin, /admin/* and the durable webhooks, as Azure does; npm start generates one per start (printed in the banner) when unset.',
  },
  LOCAL_ENABLE_TEST_HOOKS: {
    schema: bool.default(false),
    scope: 'local',
    description: 'Exposes /admin/host/* on the local host (fire timers, crash points) for tests. Never in Azure.',
  },
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof settingSpecs;
export type Settings = { [K in SettingName]: z.output<(typeof settingSpecs)[K]['schema']> };

export class SettingsError extends Error {
  constructor(readonly problems: { setting: string; message: string }[]) {
    super(
      `Invalid app settings:\n${problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n')}\nSee local.settings.example.json for every setting and its meaning.`,
    );
    this.name = 'SettingsError';
  }
}

/** Parse settings from an environment; throws SettingsError naming every bad setting. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  const problems: { setting: string; message: string }[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(settingSpecs) as [string, SettingSpec][]) {
    const raw = env[name];
    const result = spec.schema.safeParse(raw === '' ? undefined : raw);
    if (result.success) out[name] = result.data;
    else problems.push({ setting: name, message: result.error.issues.map((i) => i.message).join('; ') });
  }
  const settings = out as Settings;
  problems.push(...crossChecks(settings));
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/** The values local.settings.example.json ships with: fine on a laptop, refused in production. */
export const EXAMPLE_OPERATOR_API_KEY = 'local-operator-key-change-me-0123456789';
export const EXAMPLE_CURSOR_SIGNING_KEY = 'local-cursor-signing-key-change-me-0123';

function crossChecks(s: Settings): { setting: string; message: string }[] {
  const problems: { setting: string; message: string }[] = [];
  if (!s.DataStorage && !s.DataStorage__tableServiceUri) {
    problems.push({
      setting: 'DataStorage',
      message:
        'set DataStorage (a connection string) or DataStorage__tableServiceUri and DataStorage__blobServiceUri (managed identity)',
    });
  }
  if (s.DataStorage__tableServiceUri && !s.DataStorage__blobServiceUri && !s.DataStorage) {
    problems.push({ setting: 'DataStorage__blobServiceUri', message: 'required with DataStorage__tableServiceUri' });
  }
  if (s.BUS_MODE === 'servicebus' && !s.ServiceBusConnection__fullyQualifiedNamespace) {
    problems.push({
      setting: 'ServiceBusConnection__fullyQualifiedNamespace',
      message: 'required when BUS_MODE=servicebus',
    });
  }
  if (s.BUS_MODE === 'storage-queues' && !s.DataStorage && !s.DataStorage__queueServiceUri) {
    problems.push({
      setting: 'DataStorage__queueServiceUri',
      message: 'required when BUS_MODE=storage-queues without DataStorage',
    });
  }
  if (s.HUB_ENVIRONMENT === 'production' && s.BOOTSTRAP_API_KEY) {
    problems.push({
      setting: 'BOOTSTRAP_API_KEY',
      message: 'not allowed when HUB_ENVIRONMENT=production; create keys through the API',
    });
  }
  if (s.HUB_ENVIRONMENT === 'production' && s.OPERATOR_API_KEY === EXAMPLE_OPERATOR_API_KEY) {
    problems.push({ setting: 'OPERATOR_API_KEY', message: 'is the example value; not allowed in production' });
  }
  if (s.HUB_ENVIRONMENT === 'production' && !s.CURSOR_SIGNING_KEY) {
    problems.push({ setting: 'CURSOR_SIGNING_KEY', message: 'required when HUB_ENVIRONMENT=production' });
  }
  if (s.HUB_ENVIRONMENT === 'production' && s.CURSOR_SIGNING_KEY === EXAMPLE_CURSOR_SIGNING_KEY) {
    problems.push({ setting: 'CURSOR_SIGNING_KEY', message: 'is the example value; not allowed in production' });
  }
  return problems;
}

let cached: Settings | undefined;

/** The process settings, parsed on first use. */
export function settings(): Settings {
  cached ??= parseSettings(process.env);
  return cached;
}

/** For tests and the local host, which set the environment before the app loads. */
export function resetSettingsCache(): void {
  cached = undefined;
}
