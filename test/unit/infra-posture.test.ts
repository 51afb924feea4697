import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../shared/bus/retry';
import { settingSpecs } from '../../shared/config/settings';
import {
  type BicepFile,
  blockAfter,
  declared,
  file,
  fragment,
  objectEntries,
  type ResourceDeclaration,
  repoRoot,
} from '../support/bicep-text';

/**
 * The Azure posture (docs/design.md §3.1) as far as a text check can see it: publishing
 * credentials, local auth, least privilege, Service Bus windows against host.json and the retry
 * code, dead letters that cannot vanish, identity-based host storage, Durable tuning for Flex
 * Consumption, soft delete, diagnostic settings, the deployment package, and the day-one alerts.
 * What only `azd provision` can prove is listed in docs/deploy.md ("Checked only by deploying").
 */

const main = file('main.bicep');
const functionModule = file('app/function.bicep');
const rbacModule = file('app/rbac.bicep');
const serviceBusModule = file('core/messaging/service-bus.bicep');
const storageModule = file('core/storage/storage-account.bicep');
const keyVaultModule = file('core/security/key-vault.bicep');
const monitoringModule = file('core/monitor/monitoring.bicep');
const alertsModule = file('core/monitor/alerts.bicep');

const hostJson = JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as HostJson;
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const parametersJson = JSON.parse(readFileSync(join(repoRoot, 'infra', 'main.parameters.json'), 'utf8')) as {
  parameters: Record<string, { value: string }>;
};

interface HostJson {
  functionTimeout: string;
  logging: { logLevel: Record<string, string> };
  extensions: {
    serviceBus: { maxAutoLockRenewalDuration: string };
    durableTask: { storageProvider: { type: string; connectionName: string; maxQueuePollingInterval?: string } };
  };
}

const appSettings = objectEntries(blockAfter(main, /^var appSettings = \{/m));

function moduleParams(name: string, path: string): Map<string, string> {
  const escaped = path.replace(/[/.]/g, (c) => `\\${c}`);
  return objectEntries(blockAfter(main, new RegExp(`^module ${name} '${escaped}' = \\{[\\s\\S]*?\\bparams: \\{`, 'm')));
}

/** The default of `param <name> <type> = <value>` in a template, as written. */
function paramDefault(f: BicepFile, name: string): string {
  const value = new RegExp(`^param ${name} \\w+ = (.+)$`, 'm').exec(f.code)?.[1];
  if (value === undefined) throw new Error(`param ${name} has no default in ${f.path}`);
  return value.trim();
}

const unquote = (literal: string) => /^'(.*)'$/.exec(literal)?.[1] ?? literal;

/** ISO 8601 durations as Service Bus takes them: P[nD][T[nH][nM][nS]]. */
function isoDurationMs(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new Error(`not an ISO 8601 duration: ${text}`);
  const [days, hours, minutes, seconds] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

/** .NET TimeSpan strings as host.json takes them: [d.]hh:mm:ss[.fff]. */
function timeSpanMs(text: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (!m) throw new Error(`not a TimeSpan: ${text}`);
  const [days, hours, minutes, seconds] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

/**
 * The longest delay the retry code may schedule a planned retry for: the backoff ceiling, or the
 * cap on a vendor's Retry-After when the settings define one (RETRY_AFTER_MAX_SECONDS), at the value
 * Azure gets (main.bicep) or else the schema default.
 */
function longestPlannedRetryMs(): number {
  const specs: Record<string, { schema: { parse(v: unknown): unknown } }> = settingSpecs;
  const candidates = [DEFAULT_BACKOFF.maxMs];
  const retryAfterCap = specs.RETRY_AFTER_MAX_SECONDS;
  if (retryAfterCap) {
    candidates.push(Number(retryAfterCap.schema.parse(undefined)) * 1000);
    const inBicep = appSettings.get('RETRY_AFTER_MAX_SECONDS');
    if (inBicep !== undefined) {
      const param = /^string\((\w+)\)$/.exec(inBicep)?.[1];
      const literal = param ? paramDefault(main, param) : unquote(inBicep);
      expect(Number(literal), `RETRY_AFTER_MAX_SECONDS in main.bicep: ${inBicep}`).toBeGreaterThan(0);
      candidates.push(Number(literal) * 1000);
    }
  }
  return Math.max(...candidates);
}

function propertiesOf(r: ResourceDeclaration | undefined): Map<string, string> {
  return objectEntries(blockAfter(fragment(r?.symbol ?? 'missing', r?.body ?? ''), /\bproperties: \{/));
}

function diagnosticsIn(f: BicepFile): ResourceDeclaration[] {
  return declared('Microsoft.Insights/diagnosticSettings').filter((d) => d.file === f);
}

function metricAlert(name: string): ResourceDeclaration {
  const found = declared('Microsoft.Insights/metricAlerts').find((a) => a.symbol === name);
  if (!found) throw new Error(`metric alert ${name} not found`);
  return found;
}

describe('infra posture: publishing and local auth', () => {
  it('basic publishing credentials are off for FTP and SCM, and FTPS is disabled', () => {
    const policies = declared('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    const names = policies.map((p) => objectEntries(p.body).get('name')).sort();
    expect(names).toEqual(["'ftp'", "'scm'"]);
    for (const p of policies) {
      expect(p.file).toBe(functionModule);
      expect(objectEntries(p.body).get('parent')).toBe('site');
      expect(propertiesOf(p).get('allow')).toBe('false');
    }
    const site = declared('Microsoft.Web/sites')[0];
    expect(objectEntries(blockAfter(fragment('site', site?.body ?? ''), /\bsiteConfig: \{/)).get('ftpsState')).toBe(
      "'Disabled'",
    );
  });

  it('Log Analytics and Application Insights accept Microsoft Entra ID only', () => {
    const workspace = declared('Microsoft.OperationalInsights/workspaces')[0];
    expect(workspace?.file).toBe(monitoringModule);
    const features = objectEntries(blockAfter(fragment('workspace', workspace?.body ?? ''), /\bfeatures: \{/));
    expect(features.get('disableLocalAuth')).toBe('true');
    expect(paramDefault(monitoringModule, 'disableLocalAuth')).toBe('true');
  });
});

describe('infra posture: least privilege', () => {
  it('the app identity sends and receives on Service Bus but does not own it', () => {
    const refs = blockAfter(rbacModule, /^var appServiceBusRoles = \[/m)
      .slice(1, -1)
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    expect(refs.sort()).toEqual(['roles.serviceBusDataReceiver', 'roles.serviceBusDataSender']);
    const appAssignment = declared('Microsoft.Authorization/roleAssignments').find((a) => a.symbol === 'appServiceBus');
    expect(appAssignment?.header).toMatch(/\[for roleId in appServiceBusRoles:/);
  });

  it("the deployer's standing data-plane roles are optional and off by default", () => {
    expect(paramDefault(main, 'grantDeployerDataRoles')).toBe('false');
    expect(paramDefault(rbacModule, 'grantDeployerDataRoles')).toBe('false');
    expect(moduleParams('rbac', 'app/rbac.bicep').get('grantDeployerDataRoles')).toBe('grantDeployerDataRoles');
    expect(rbacModule.code).toMatch(/^var deployerRoles = grantDeployerDataRoles && !empty\(userPrincipalId\)$/m);
    const deployerAssignments = declared('Microsoft.Authorization/roleAssignments').filter((a) =>
      /principalId: userPrincipalId\b/.test(a.body),
    );
    expect(deployerAssignments.length).toBeGreaterThan(0);
    // Every deployer role but one is gated: Key Vault Secrets Officer, which the postprovision hook
    // needs to create the app's secrets, is granted whenever azd names a deployer.
    for (const a of deployerAssignments) {
      if (a.symbol === 'userKeyVault') expect(a.header).toMatch(/\bif \(!empty\(userPrincipalId\)\)/);
      else expect(a.header, a.symbol).toMatch(/\bif \(deployerRoles\)/);
    }
    expect(parametersJson.parameters.grantDeployerDataRoles?.value).toBe(`\${AZURE_GRANT_DEPLOYER_DATA_ROLES=false}`);
  });
});

describe('infra posture: Service Bus windows', () => {
  const lockMs = isoDurationMs(unquote(paramDefault(serviceBusModule, 'lockDuration')));
  const renewMs = timeSpanMs(hostJson.extensions.serviceBus.maxAutoLockRenewalDuration);
  const timeoutMs = timeSpanMs(hostJson.functionTimeout);
  const maxDeliveryCount = Number(paramDefault(main, 'queueMaxDeliveryCount'));
  const windowMs = isoDurationMs(unquote(paramDefault(main, 'queueDuplicateDetectionWindow')));

  it('functionTimeout is no longer than the lock can be renewed', () => {
    expect(timeoutMs).toBeLessThanOrEqual(renewMs);
    expect(lockMs).toBeLessThanOrEqual(5 * 60_000);
  });

  it('duplicate detection outlasts the longest redelivery span plus the longest planned retry', () => {
    // One delivery holds a message at most until the function times out (the lock is renewed that
    // long), then the lock lapses after one more lock duration; a crash holds it one lock duration.
    const perDeliveryMs = Math.max(lockMs, Math.min(renewMs, timeoutMs) + lockMs);
    const redeliverySpanMs = perDeliveryMs * maxDeliveryCount;
    const requiredMs = redeliverySpanMs + longestPlannedRetryMs();
    expect(longestPlannedRetryMs()).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.maxMs);
    expect(windowMs, `window ${windowMs / 60_000} min, needed ${requiredMs / 60_000} min`).toBeGreaterThanOrEqual(
      requiredMs,
    );
    expect(windowMs, 'Service Bus allows at most 7 days').toBeLessThanOrEqual(7 * 24 * 3_600_000);
    expect(moduleParams('serviceBus', 'core/messaging/service-bus.bicep').get('duplicateDetectionWindow')).toBe(
      'queueDuplicateDetectionWindow',
    );
  });

  it('the duration parsers read what the files use', () => {
    expect(isoDurationMs('PT1M')).toBe(60_000);
    expect(isoDurationMs('PT3H')).toBe(3 * 3_600_000);
    expect(isoDurationMs('P14D')).toBe(14 * 86_400_000);
    expect(timeSpanMs('00:10:00')).toBe(600_000);
    expect(timeSpanMs('00:00:00.80')).toBe(800);
    expect(() => isoDurationMs('10 minutes')).toThrow();
  });
});

describe('infra posture: dead letters never vanish', () => {
  it('the companion queues dead-letter on expiry and their own dead-letter queues are alerted on', () => {
    const companion = declared('Microsoft.ServiceBus/namespaces/queues').find((q) =>
      /^\s*name: '\$\{queueName\}-deadletter'$/m.test(q.body),
    );
    const properties = propertiesOf(companion);
    expect(properties.get('deadLetteringOnMessageExpiration')).toBe('true');
    expect(serviceBusModule.code).toMatch(
      /^output deadLetterQueueNames array = \[for \(queueName, i\) in queueNames: deadLetterQueues\[i\]\.name\]$/m,
    );
    const alertParams = moduleParams('alerts', 'core/monitor/alerts.bicep');
    // Only the companions a function consumes: health-probe-deadletter has no consumer and its depth
    // would never clear (docs/deploy.md, "Alerts").
    expect(alertParams.get('deadLetterQueueNames')).toBe('consumedDeadLetterQueueNames');
    expect(main.code).toMatch(
      /^var consumedDeadLetterQueueNames = map\(filter\(queueNames, name => name != 'health-probe'\), name => '\$\{name\}-deadletter'\)$/m,
    );
    const lost = blockAfter(fragment('lost', metricAlert('lostFailures').body), /\ballOf: \[/);
    expect(lost).toMatch(/metricName: 'DeadletteredMessages'/);
    expect(lost).toMatch(/name: 'EntityName'\s*operator: 'Include'\s*values: deadLetterQueueNames/);
    expect(lost).toMatch(/operator: 'GreaterThan'\s*threshold: 0\b/);
  });
});

describe('infra posture: host storage and Durable on Flex Consumption', () => {
  it('the host reaches its storage by service URIs with the identity', () => {
    for (const service of ['blob', 'queue', 'table']) {
      expect(appSettings.get(`AzureWebJobsStorage__${service}ServiceUri`)).toBe(
        `hostStorage.outputs.${service}ServiceUri`,
      );
      // The cloud's own suffix, not a hard-coded core.windows.net.
      expect(storageModule.code).toMatch(
        new RegExp(
          `^output ${service}ServiceUri string = 'https://\\$\\{account\\.name\\}\\.${service}\\.\\$\\{environment\\(\\)\\.suffixes\\.storage\\}'$`,
          'm',
        ),
      );
    }
    expect(appSettings.has('AzureWebJobsStorage__accountName')).toBe(false);
    expect(hostJson.extensions.durableTask.storageProvider.connectionName).toBe('AzureWebJobsStorage');
    for (const f of [main, functionModule, storageModule]) expect(f.code).not.toMatch(/core\.windows\.net/);
  });

  it('the durable group has an always-ready instance (a parameter) and the Flex default queue polling (1 s) is kept', () => {
    expect(paramDefault(main, 'durableAlwaysReadyInstances')).toBe('1');
    expect(moduleParams('app', 'app/function.bicep').get('durableAlwaysReadyInstances')).toBe(
      'durableAlwaysReadyInstances',
    );
    const ready = blockAfter(functionModule, /^var durableAlwaysReady = \[/m);
    expect(ready).toMatch(/name: 'durable'\s*instanceCount: durableAlwaysReadyInstances/);
    const site = declared('Microsoft.Web/sites')[0];
    expect(site?.body).toMatch(/alwaysReady: durableAlwaysReadyInstances > 0 \? durableAlwaysReady : \[\]/);
    // On Flex Consumption the Azure Storage provider's maxQueuePollingInterval defaults to 1 s; a
    // larger value makes every Durable hop of an idle instance wait up to that long. Unset, or at most 1 s.
    const polling = hostJson.extensions.durableTask.storageProvider.maxQueuePollingInterval;
    if (polling !== undefined) expect(timeSpanMs(polling)).toBeLessThanOrEqual(1_000);
    expect(parametersJson.parameters.durableAlwaysReadyInstances?.value).toBe(`\${DURABLE_ALWAYS_READY_INSTANCES=1}`);
  });
});

describe('infra posture: data protection and diagnostics', () => {
  it('the data account keeps deleted blobs and containers', () => {
    const data = moduleParams('dataStorage', 'core/storage/storage-account.bicep');
    expect(Number(data.get('blobSoftDeleteDays'))).toBeGreaterThan(0);
    expect(Number(data.get('containerSoftDeleteDays'))).toBeGreaterThan(0);
    const blobService = declared('Microsoft.Storage/storageAccounts/blobServices')[0];
    const properties = blockAfter(fragment('blob service', blobService?.body ?? ''), /\bproperties: \{/);
    expect(properties).toMatch(
      /deleteRetentionPolicy: \{\s*enabled: blobSoftDeleteDays > 0\s*days: max\(blobSoftDeleteDays, 1\)/,
    );
    expect(properties).toMatch(
      /containerDeleteRetentionPolicy: \{\s*enabled: containerSoftDeleteDays > 0\s*days: max\(containerSoftDeleteDays, 1\)/,
    );
  });

  it('Key Vault, Service Bus, the data account and the function app send their logs to Log Analytics', () => {
    const expected: [BicepFile, string, string, string[]][] = [
      [keyVaultModule, 'keyVault', 'core/security/key-vault.bicep', ['AuditEvent']],
      [serviceBusModule, 'serviceBus', 'core/messaging/service-bus.bicep', ['OperationalLogs']],
      [
        storageModule,
        'dataStorage',
        'core/storage/storage-account.bicep',
        ['StorageRead', 'StorageWrite', 'StorageDelete'],
      ],
      [functionModule, 'app', 'app/function.bicep', ['FunctionAppLogs']],
    ];
    for (const [template, moduleName, path, categories] of expected) {
      expect(moduleParams(moduleName, path).get('logAnalyticsWorkspaceId'), moduleName).toBe(
        'monitoring.outputs.logAnalyticsWorkspaceId',
      );
      const settings = diagnosticsIn(template);
      expect(settings.length, path).toBeGreaterThan(0);
      for (const d of settings) {
        expect(objectEntries(d.body).get('scope'), `${d.symbol} scope`).toBeDefined();
        expect(propertiesOf(d).get('workspaceId')).toBe('logAnalyticsWorkspaceId');
      }
      const text = `${template.code}`;
      for (const category of categories) expect(text, `${path}: ${category}`).toContain(`category: '${category}'`);
    }
    // Storage logs are per service: the hub's data lives in blobs and tables.
    const storageScopes = diagnosticsIn(storageModule)
      .map((d) => objectEntries(d.body).get('scope'))
      .sort();
    expect(storageScopes).toEqual(['blobService', 'tableService']);
  });
});

describe('infra posture: the deployment package', () => {
  const funcignore = readFileSync(join(repoRoot, '.funcignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('.funcignore keeps secrets, editor settings, coverage, logs and local state out of the upload', () => {
    expect(funcignore).toEqual(
      expect.arrayContaining([
        '.env',
        '.env.*',
        '.vscode/',
        'coverage/',
        'logs/',
        '*.log',
        'node_modules/',
        'local.settings.json',
      ]),
    );
  });

  it('npm run build type-checks before it transpiles; npm start stays on the fast transpile', () => {
    // The deployed code only (the remote build has nothing else; test/integration/deploy-upload.test.ts).
    expect(packageJson.scripts.build).toMatch(/^tsc --noEmit -p tsconfig\.deploy\.json && node scripts\/build\.mjs$/);
    expect(packageJson.scripts.start).toMatch(/^node scripts\/build\.mjs && /);
    expect(packageJson.scripts.start).not.toMatch(/npm run build|tsc/);
  });
});

describe('infra posture: day-one alerts', () => {
  it('one action group, mailed to a parameter, receives every alert', () => {
    const groups = declared('Microsoft.Insights/actionGroups');
    expect(groups.length).toBe(1);
    expect(groups[0]?.file).toBe(alertsModule);
    expect(blockAfter(fragment('group', groups[0]?.body ?? ''), /\bemailReceivers: \[/)).toMatch(
      /^\[\s*emailReceiver\s*\]$/,
    );
    // Required: no default, so azd asks for it (or takes ALERT_EMAIL).
    expect(main.code).toMatch(/^@minLength\(3\)\nparam alertEmail string$/m);
    expect(alertsModule.code).toMatch(/^@minLength\(3\)\nparam alertEmail string$/m);
    expect(blockAfter(alertsModule, /^var emailReceiver = \{/m)).toMatch(/emailAddress: alertEmail/);
    expect(moduleParams('alerts', 'core/monitor/alerts.bicep').get('alertEmail')).toBe('alertEmail');
    expect(parametersJson.parameters.alertEmail?.value).toBe(`\${ALERT_EMAIL}`);
    const metricAlerts = declared('Microsoft.Insights/metricAlerts');
    expect(metricAlerts.length).toBe(10);
    for (const a of metricAlerts) {
      expect(a.file).toBe(alertsModule);
      expect(propertiesOf(a).get('actions'), a.symbol).toBe('actions');
    }
    expect(blockAfter(alertsModule, /^var actions = \[/m)).toMatch(/actionGroupId: actionGroup\.id/);
    const logAlerts = declared('Microsoft.Insights/scheduledQueryRules');
    // Two here, three on the app's own telemetry (telemetry-alerts.bicep) and two on sync runs
    // (sync-alerts.bicep), both given the same group's id.
    expect(logAlerts.length).toBe(7);
    const telemetryAlerts = file('core/monitor/telemetry-alerts.bicep');
    const syncAlerts = file('core/monitor/sync-alerts.bicep');
    for (const rule of logAlerts) {
      if (rule.file === telemetryAlerts || rule.file === syncAlerts) {
        expect(propertiesOf(rule).get('actions'), rule.symbol).toBe('actions');
        continue;
      }
      expect(rule.file).toBe(alertsModule);
      expect(blockAfter(fragment('log alert', rule.body), /\bactions: \{/), rule.symbol).toMatch(/actionGroup\.id/);
    }
    expect(blockAfter(telemetryAlerts, /^var actions = \{/m)).toMatch(
      /^\{\s*actionGroups: \[\s*actionGroupId\s*\]\s*\}$/,
    );
    expect(moduleParams('telemetryAlerts', 'core/monitor/telemetry-alerts.bicep').get('actionGroupId')).toBe(
      'alerts.outputs.actionGroupId',
    );
  });

  it('a companion queue with messages for 15 minutes raises an alert (ActiveMessages)', () => {
    const alert = metricAlert('deadLetterDepth');
    const properties = propertiesOf(alert);
    expect(properties.get('windowSize')).toBe("'PT15M'");
    const criterion = blockAfter(fragment('depth', alert.body), /\ballOf: \[/);
    expect(criterion).toMatch(/metricNamespace: 'Microsoft\.ServiceBus\/namespaces'/);
    expect(criterion).toMatch(/metricName: 'ActiveMessages'/);
    expect(criterion).toMatch(/name: 'EntityName'\s*operator: 'Include'\s*values: deadLetterQueueNames/);
    // Minimum over the window: it stayed above zero the whole 15 minutes.
    expect(criterion).toMatch(/timeAggregation: 'Minimum'\s*operator: 'GreaterThan'\s*threshold: 0\b/);
  });

  it('Service Bus throttling and server errors raise alerts', () => {
    for (const [symbol, metric] of [
      ['serviceBusThrottling', 'ThrottledRequests'],
      ['serviceBusServerErrors', 'ServerErrors'],
    ] as const) {
      const criterion = blockAfter(fragment(symbol, metricAlert(symbol).body), /\ballOf: \[/);
      expect(criterion).toMatch(new RegExp(`metricName: '${metric}'`));
      expect(criterion).toMatch(/timeAggregation: 'Total'/);
      expect(metricAlert(symbol).body).toMatch(/scopes: \[\s*serviceBus\.id\s*\]/);
    }
  });

  it('the Functions failure rate alert reads the Host.Aggregator counts, which host.json keeps', () => {
    expect(hostJson.logging.logLevel['Host.Aggregator']).toBe('Information');
    const rule = declared('Microsoft.Insights/scheduledQueryRules').find((r) => r.symbol === 'functionFailureRate');
    expect(rule?.body).toMatch(/scopes: \[\s*applicationInsights\.id\s*\]/);
    expect(alertsModule.code).toMatch(/customMetrics\s*\n\| where name endswith " Count" or name endswith " Failures"/);
    const criterion = blockAfter(fragment('rule', rule?.body ?? ''), /\ballOf: \[/);
    expect(criterion).toMatch(/query: format\(failureRateQuery, functionFailureMinExecutions\)/);
    expect(criterion).toMatch(
      /metricMeasureColumn: 'failureRatePercent'\s*operator: 'GreaterThan'\s*threshold: functionFailureRatePercent/,
    );
  });

  it('/api/healthz is probed by a standard availability test with an alert on failed locations', () => {
    expect(readFileSync(join(repoRoot, 'shared', 'api', 'route-heads.ts'), 'utf8')).toMatch(/route: 'healthz'/);
    const tests = declared('Microsoft.Insights/webtests');
    expect(tests.length).toBe(1);
    const test = tests[0];
    expect(objectEntries(test?.body ?? '').get('kind')).toBe("'standard'");
    expect(test?.body).toMatch(/'hidden-link:\$\{applicationInsights\.id\}': 'Resource'/);
    expect(alertsModule.code).toMatch(/^var healthUrl = '\$\{appBaseUrl\}\/api\/healthz'$/m);
    expect(test?.body).toMatch(/RequestUrl: healthUrl\s*HttpVerb: 'GET'/);
    expect(test?.body).toMatch(/ExpectedHttpStatusCode: 200/);
    expect(moduleParams('alerts', 'core/monitor/alerts.bicep').get('appBaseUrl')).toBe('app.outputs.uri');
    const alert = metricAlert('healthzAvailability');
    expect(alert.body).toMatch(/'odata\.type': 'Microsoft\.Azure\.Monitor\.WebtestLocationAvailabilityCriteria'/);
    expect(alert.body).toMatch(/webTestId: healthzTest\.id\s*componentId: applicationInsights\.id/);
  });
});
