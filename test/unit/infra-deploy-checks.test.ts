import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingSpecs } from '../../shared/config/settings';
import {
  arrayStrings,
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
 * What a text reading can still prove about the deployment (docs/deploy.md, "Checked only by
 * deploying" lists the rest): every alert names a metric and dimensions its resource type really
 * has (the Azure Monitor "Supported metrics" reference, encoded below), the capacity, backlog,
 * Key Vault and Durable alerts watch what they claim, the app's settings have the types the settings
 * schema wants, every operation the code performs has its role, and the private networking and
 * storage encryption options are wired through.
 */

const main = file('main.bicep');
const rbacModule = file('app/rbac.bicep');
const functionModule = file('app/function.bicep');
const networkingModule = file('app/private-networking.bicep');
const vnetModule = file('core/network/virtual-network.bicep');
const serviceBusModule = file('core/messaging/service-bus.bicep');
const storageModule = file('core/storage/storage-account.bicep');
const keyVaultModule = file('core/security/key-vault.bicep');
const alertsModule = file('core/monitor/alerts.bicep');
const hostJson = JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as {
  logging: { logLevel: Record<string, string> };
};
const parametersJson = JSON.parse(readFileSync(join(repoRoot, 'infra', 'main.parameters.json'), 'utf8')) as {
  parameters: Record<string, { value: string }>;
};
const deployDoc = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');

/**
 * Metrics (REST API names) and their dimensions per resource type, from the Azure Monitor
 * reference pages "Supported metrics for Microsoft.ServiceBus/Namespaces" and "... for
 * Microsoft.KeyVault/vaults". Only metrics this deployment may alert on are listed; add a row
 * (from the reference) before alerting on another one.
 */
const METRICS: Record<string, Record<string, { dimensions: string[]; aggregations: string[] }>> = {
  'Microsoft.ServiceBus/namespaces': {
    ActiveMessages: { dimensions: ['EntityName'], aggregations: ['Average', 'Minimum', 'Maximum'] },
    DeadletteredMessages: { dimensions: ['EntityName'], aggregations: ['Average', 'Minimum', 'Maximum'] },
    Size: { dimensions: ['EntityName'], aggregations: ['Average', 'Minimum', 'Maximum'] },
    ServerErrors: { dimensions: ['EntityName', 'OperationResult'], aggregations: ['Total'] },
    UserErrors: { dimensions: ['EntityName', 'OperationResult'], aggregations: ['Total'] },
    ThrottledRequests: {
      dimensions: ['EntityName', 'OperationResult', 'MessagingErrorSubCode'],
      aggregations: ['Total'],
    },
  },
  'Microsoft.KeyVault/vaults': {
    Availability: {
      dimensions: ['ActivityType', 'ActivityName', 'StatusCode', 'StatusCodeClass'],
      aggregations: ['Average'],
    },
    ServiceApiResult: {
      dimensions: ['ActivityType', 'ActivityName', 'StatusCode', 'StatusCodeClass'],
      aggregations: ['Count'],
    },
  },
};

/** Which `existing` symbol in alerts.bicep is which resource type. */
const SCOPE_TYPES: Record<string, string> = {
  'serviceBus.id': 'Microsoft.ServiceBus/namespaces',
  'keyVault.id': 'Microsoft.KeyVault/vaults',
};

interface Criterion {
  alert: string;
  scope: string;
  namespace: string;
  metric: string;
  aggregation: string;
  dimensions: { name: string; values: string }[];
  operator: string;
  threshold: string;
}

function metricAlerts(): ResourceDeclaration[] {
  return declared('Microsoft.Insights/metricAlerts');
}

function metricAlert(symbol: string): ResourceDeclaration {
  const found = metricAlerts().find((a) => a.symbol === symbol);
  if (!found) throw new Error(`metric alert ${symbol} not found`);
  return found;
}

function criteria(alert: ResourceDeclaration): Criterion[] {
  const body = fragment(alert.symbol, alert.body);
  const scope = /scopes: \[\s*([\w.]+)\s*\]/.exec(alert.body)?.[1] ?? '';
  const list = blockAfter(body, /\ballOf: \[/);
  const out: Criterion[] = [];
  for (const m of list.matchAll(/metricNamespace: '([^']+)'\s*metricName: '([^']+)'/g)) {
    const start = m.index ?? 0;
    const rest = list.slice(start);
    const end = rest.search(/\n {8}\}/);
    const text = end === -1 ? rest : rest.slice(0, end);
    const dimensions = [...text.matchAll(/name: '(\w+)'\s*operator: 'Include'\s*values: (\[[^\]]*\]|\w+)/g)].map(
      (d) => ({
        name: d[1] ?? '',
        values: d[2] ?? '',
      }),
    );
    out.push({
      alert: alert.symbol,
      scope,
      namespace: m[1] ?? '',
      metric: m[2] ?? '',
      aggregation: /timeAggregation: '(\w+)'/.exec(text)?.[1] ?? '',
      dimensions,
      operator: /operator: '(GreaterThan|GreaterThanOrEqual|LessThan|LessThanOrEqual)'/.exec(text)?.[1] ?? '',
      threshold: /threshold: ([\w.]+)/.exec(text)?.[1] ?? '',
    });
  }
  return out;
}

function paramDefault(f: BicepFile, name: string): string | undefined {
  return new RegExp(`^param ${name} \\w+ = (.+)$`, 'm').exec(f.code)?.[1]?.trim();
}

function moduleParams(name: string, path: string): Map<string, string> {
  const escaped = path.replace(/[/.]/g, (c) => `\\${c}`);
  return objectEntries(
    blockAfter(main, new RegExp(`^module ${name} '${escaped}' = (?:if \\(\\w+\\) )?\\{[\\s\\S]*?\\bparams: \\{`, 'm')),
  );
}

describe('infra: every alert names a metric its resource type has', () => {
  const all = metricAlerts()
    .filter((a) => /metricName:/.test(a.body))
    .flatMap(criteria);

  it('finds the criteria of every metric alert', () => {
    const withMetric = metricAlerts().filter((a) => /metricName:/.test(a.body));
    expect(new Set(all.map((c) => c.alert)).size).toBe(withMetric.length);
    expect(withMetric.length).toBe(9);
  });

  it("metric, dimensions and aggregation exist for the namespace, and the namespace is the scope's type", () => {
    for (const c of all) {
      const catalogue = METRICS[c.namespace];
      expect(catalogue, `${c.alert}: namespace ${c.namespace}`).toBeDefined();
      const metric = catalogue?.[c.metric];
      expect(metric, `${c.alert}: ${c.namespace} has no metric ${c.metric}`).toBeDefined();
      for (const d of c.dimensions) expect(metric?.dimensions, `${c.alert}: dimension ${d.name}`).toContain(d.name);
      expect(metric?.aggregations, `${c.alert}: aggregation ${c.aggregation}`).toContain(c.aggregation);
      expect(SCOPE_TYPES[c.scope], `${c.alert}: scope ${c.scope}`).toBe(c.namespace);
    }
  });

  it('docs/deploy.md has the metric reference table with each alerted metric', () => {
    for (const c of all) expect(deployDoc, `${c.namespace} ${c.metric}`).toMatch(new RegExp(`\\| \`${c.metric}\``));
    expect(deployDoc).toMatch(/Supported metrics for Microsoft\.ServiceBus\/Namespaces/);
    expect(deployDoc).toMatch(/Supported metrics for Microsoft\.KeyVault\/vaults/);
  });
});

describe('infra: capacity and backlog', () => {
  it('queues take the largest size of their tier, and the tier is a parameter', () => {
    expect(serviceBusModule.code).toMatch(/^var maxSizeInMegabytes = skuName == 'Premium' \? 81920 : 5120$/m);
    const queues = declared('Microsoft.ServiceBus/namespaces/queues');
    expect(queues.length).toBe(2);
    for (const q of queues) expect(q.body).toMatch(/maxSizeInMegabytes: maxSizeInMegabytes\b/);
    expect(paramDefault(main, 'serviceBusSku')).toBe("'Standard'");
    expect(moduleParams('serviceBus', 'core/messaging/service-bus.bicep').get('skuName')).toBe('serviceBusSku');
    expect(parametersJson.parameters.serviceBusSku?.value).toBe(`\${SERVICE_BUS_SKU=Standard}`);
  });

  it('queue-size watches every queue at a share of the size limit', () => {
    const [size] = criteria(metricAlert('queueSize'));
    expect(size).toMatchObject({ metric: 'Size', aggregation: 'Maximum', operator: 'GreaterThan' });
    expect(size?.dimensions).toEqual([{ name: 'EntityName', values: 'allQueueNames' }]);
    expect(size?.threshold).toBe('queueSizeThresholdBytes');
    expect(alertsModule.code).toMatch(
      /^var queueSizeThresholdBytes = queueMaxSizeInMegabytes \* 1024 \* 1024 \/ 100 \* queueSizeAlertPercent$/m,
    );
    const params = moduleParams('alerts', 'core/monitor/alerts.bicep');
    expect(params.get('queueMaxSizeInMegabytes')).toBe('serviceBus.outputs.maxSizeInMegabytes');
    expect(params.get('allQueueNames')).toBe('allQueueNames');
    expect(main.code).toMatch(
      /^var allQueueNames = concat\(queueNames, map\(queueNames, name => '\$\{name\}-deadletter'\)\)$/m,
    );
    expect(serviceBusModule.code).toMatch(/^output maxSizeInMegabytes int = maxSizeInMegabytes$/m);
  });

  it('queue-backlog watches the active messages of every triggered queue, as a standing minimum', () => {
    const [backlog] = criteria(metricAlert('queueBacklog'));
    expect(backlog).toMatchObject({ metric: 'ActiveMessages', aggregation: 'Minimum', operator: 'GreaterThan' });
    expect(backlog?.dimensions).toEqual([{ name: 'EntityName', values: 'triggeredQueueNames' }]);
    expect(backlog?.threshold).toBe('queueBacklogThreshold');
    expect(moduleParams('alerts', 'core/monitor/alerts.bicep').get('triggeredQueueNames')).toBe('triggeredQueueNames');
    expect(main.code).toMatch(/^var triggeredQueueNames = concat\(queueNames, consumedDeadLetterQueueNames\)$/m);
  });

  it('the triggered queues are exactly the queues a function of the app is triggered by', () => {
    const queues = arrayStrings(blockAfter(main, /^var queueNames = \[/m));
    const triggered = [...queues, ...queues.filter((q) => q !== 'health-probe').map((q) => `${q}-deadletter`)];
    const entries = readdirSync(join(repoRoot, 'functions'))
      .map((name) => readFileSync(join(repoRoot, 'functions', name), 'utf8'))
      .join('\n');
    const sources = [entries, ...['shared/bus/trigger.ts'].map((p) => readFileSync(join(repoRoot, p), 'utf8'))].join(
      '\n',
    );
    // Each one is named where the triggers are registered (literal names, docs/decisions.md §38).
    for (const q of triggered) expect(sources.includes(`'${q.replace(/-deadletter$/, '')}'`), q).toBe(true);
    expect(deployDoc).toMatch(/`health-probe-deadletter` companion[^.]*but no\s+function consumes it/);
  });

  it('Service Bus user errors (a lost role shows up there) raise an alert', () => {
    const [errors] = criteria(metricAlert('serviceBusUserErrors'));
    expect(errors).toMatchObject({ metric: 'UserErrors', aggregation: 'Total', operator: 'GreaterThan' });
    expect(errors?.threshold).toBe('serviceBusUserErrorsThreshold');
  });
});

describe('infra: Key Vault, Durable and availability alerts', () => {
  it('Key Vault refusing the app (401/403) and failing requests raise alerts', () => {
    const [refused] = criteria(metricAlert('keyVaultRefused'));
    expect(refused).toMatchObject({ metric: 'ServiceApiResult', aggregation: 'Count', threshold: '0' });
    expect(refused?.dimensions[0]?.name).toBe('StatusCode');
    expect(refused?.dimensions[0]?.values.replace(/\s+/g, ' ')).toBe("[ '401' '403' ]");
    const [availability] = criteria(metricAlert('keyVaultAvailability'));
    expect(availability).toMatchObject({ metric: 'Availability', operator: 'LessThan' });
    expect(moduleParams('alerts', 'core/monitor/alerts.bicep').get('keyVaultName')).toBe('keyVault.outputs.name');
  });

  it('failed orchestrations raise a log alert on the Durable tracking traces, which host.json does not silence', () => {
    const rule = declared('Microsoft.Insights/scheduledQueryRules').find((r) => r.symbol === 'durableFailures');
    expect(rule?.body).toMatch(/scopes: \[\s*applicationInsights\.id\s*\]/);
    expect(rule?.body).toMatch(/query: durableFailuresQuery/);
    const query = /^var durableFailuresQuery = '''([\s\S]*?)'''$/m.exec(alertsModule.code)?.[1] ?? '';
    expect(query).toMatch(/^traces$/m);
    expect(query).toMatch(/customDimensions\.Category\) == "Host\.Triggers\.DurableTask"/);
    expect(query).toMatch(/customDimensions\.prop__state\) == "Failed"/);
    expect(query).toMatch(/customDimensions\.prop__functionType\) == "Orchestrator"/);
    expect(rule?.body).toMatch(
      /metricMeasureColumn: 'failures'\s*operator: 'GreaterThanOrEqual'\s*threshold: durableFailuresThreshold/,
    );
    const levels = hostJson.logging.logLevel;
    const level = levels['Host.Triggers.DurableTask'] ?? levels['Host.Triggers'] ?? levels.default;
    expect(['Trace', 'Debug', 'Information']).toContain(level);
  });

  it('availability fails on 2 or more of at least 5 test locations', () => {
    expect(Number(paramDefault(alertsModule, 'availabilityFailedLocations'))).toBeGreaterThanOrEqual(2);
    const locations = arrayStrings(blockAfter(alertsModule, /^param availabilityLocations array = \[/m));
    expect(locations.length).toBeGreaterThanOrEqual(5);
    expect(metricAlert('healthzAvailability').body).toMatch(/failedLocationCount: availabilityFailedLocations/);
  });
});

describe('infra: parameters azd asks for or maps', () => {
  it('the region must offer Flex Consumption (an @allowed list, documented)', () => {
    const allowed = arrayStrings(blockAfter(main, /^@allowed\(\[(?=\n {2}'australiaeast')/m));
    expect(allowed).toEqual(
      expect.arrayContaining(['eastus', 'eastus2', 'westeurope', 'northeurope', 'swedencentral']),
    );
    expect(allowed).not.toContain('eastus2euap');
    expect(new Set(allowed).size).toBe(allowed.length);
    expect(main.code).toMatch(
      /@allowed\(\[[^\]]*'westus3'\s*\]\)\s*@metadata\(\{\s*azd: \{\s*type: 'location'\s*\}\s*\}\)\s*param location string/,
    );
    expect(deployDoc).toMatch(/list-flexconsumption-locations/);
  });

  it("every new parameter has a default that keeps today's behaviour and an azd environment name", () => {
    const expected: [string, string, string][] = [
      ['vnetEnabled', 'false', `\${VNET_ENABLED=false}`],
      ['serviceBusSku', "'Standard'", `\${SERVICE_BUS_SKU=Standard}`],
      ['storageInfrastructureEncryption', 'true', `\${STORAGE_INFRASTRUCTURE_ENCRYPTION=true}`],
      ['deployerIpAddress', "''", `\${DEPLOYER_IP_ADDRESS=}`],
    ];
    for (const [name, value, mapping] of expected) {
      expect(paramDefault(main, name), name).toBe(value);
      expect(parametersJson.parameters[name]?.value, name).toBe(mapping);
      expect(deployDoc, name).toContain(mapping.replace(/^\$\{|=.*$/g, ''));
    }
    // The alert e-mail has no default: azd asks for it on the first provision.
    expect(paramDefault(main, 'alertEmail')).toBeUndefined();
    expect(parametersJson.parameters.alertEmail?.value).toBe(`\${ALERT_EMAIL}`);
  });
});

describe('infra: settings have the types the app expects', () => {
  const appSettings = objectEntries(blockAfter(main, /^var appSettings = \{/m));
  const specs: Record<string, { schema: { safeParse(v: unknown): { success: boolean } } }> = settingSpecs;

  /** The type and the values a parameter can take (its @allowed list, else its default). */
  function paramValues(name: string): { type: string; values: string[] } {
    const declaration = new RegExp(
      `((?:^@[^\\n]*\\n|^  [^\\n]*\\n|^\\]\\)\\n)*)^param ${name} (\\w+)(?: = (.+))?$`,
      'm',
    ).exec(main.code);
    if (!declaration) throw new Error(`param ${name} not found`);
    const decorators = declaration[1] ?? '';
    const type = declaration[2] ?? '';
    const allowed = /@allowed\(\[([\s\S]*?)\]\)/.exec(decorators)?.[1];
    const literal = (text: string) => text.trim().replace(/^'(.*)'$/, '$1');
    const values = allowed
      ? allowed
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean)
          .map(literal)
      : declaration[3] !== undefined
        ? [literal(declaration[3])]
        : [];
    return { type, values };
  }

  it('a parameter-fed setting gets a string of a value its schema accepts', () => {
    let checked = 0;
    for (const [name, value] of appSettings) {
      const spec = specs[name];
      if (!spec) continue;
      const wrapped = /^string\((\w+)\)$/.exec(value)?.[1];
      const bare = /^(\w+)$/.exec(value)?.[1];
      const param = wrapped ?? bare;
      if (!param || !new RegExp(`^param ${param} `, 'm').test(main.code)) continue;
      const { type, values } = paramValues(param);
      // App settings are strings: a bare parameter must be one; int and bool go through string().
      expect(wrapped ? ['int', 'bool'] : ['string'], `${name}: param ${param} is ${type}`).toContain(type);
      expect(values.length, `${name}: ${param} has a default or an allowed list`).toBeGreaterThan(0);
      // As the settings loader reads them: an empty value is no value (shared/config/settings.ts).
      for (const v of values)
        expect(spec.schema.safeParse(v === '' ? undefined : v).success, `${name} = ${v}`).toBe(true);
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });
});

describe('infra: every operation the code performs has its role', () => {
  const shared = (path: string) => readFileSync(join(repoRoot, 'shared', path), 'utf8');
  const rbac = rbacModule.code;
  const granted = (scope: string, role: string) =>
    new RegExp(`scope: ${scope}\\b[\\s\\S]*?roleDefinitions', (roles\\.${role}|roleId)\\)`).test(rbac);

  it('tables and blobs of the data account: contributor roles', () => {
    expect(shared('sdk/data-tables.ts')).toMatch(/@azure\/data-tables/);
    expect(shared('storage/provision.ts')).toMatch(/createTable\(/);
    expect(shared('storage/blob-store.ts')).toMatch(/getBlockBlobClient/);
    const dataRoles = blockAfter(rbacModule, /^var dataStorageRoles = \[/m);
    expect(dataRoles).toMatch(/roles\.storageTableDataContributor/);
    expect(dataRoles).toMatch(/roles\.storageBlobDataContributor/);
    expect(granted('dataStorage', 'storageTableDataContributor')).toBe(true);
  });

  it('Service Bus: send, receive and peek namespace-wide; Manage on each triggered queue for scaling', () => {
    const bus = shared('bus/service-bus-bus.ts');
    expect(bus).toMatch(/createSender\(/);
    expect(bus).toMatch(/createReceiver\(/);
    expect(bus).toMatch(/peekMessages\(/);
    const roles = blockAfter(rbacModule, /^var appServiceBusRoles = \[/m);
    expect(roles).toMatch(/roles\.serviceBusDataSender/);
    expect(roles).toMatch(/roles\.serviceBusDataReceiver/);
    const perQueue = declared('Microsoft.Authorization/roleAssignments').find((a) => a.symbol === 'appTriggeredQueues');
    expect(perQueue?.header).toMatch(/\[for \(queueName, i\) in triggeredQueueNames:/);
    expect(perQueue?.body).toMatch(/scope: triggeredQueues\[i\]/);
    expect(perQueue?.body).toMatch(/roles\.serviceBusDataOwner/);
    expect(perQueue?.body).toMatch(/principalId: appPrincipalId/);
    expect(moduleParams('rbac', 'app/rbac.bicep').get('triggeredQueueNames')).toBe('triggeredQueueNames');
    // In Azure the bus is Service Bus; the storage-queue bus (and its queue role) is local only.
    expect(objectEntries(blockAfter(main, /^var appSettings = \{/m)).get('BUS_MODE')).toBe("'servicebus'");
  });

  it('Key Vault: the app only reads; the deployer may write secrets', () => {
    const source = shared('secrets/secret-source.ts');
    expect(source).toMatch(/getSecret\(/);
    const everything = readdirSync(join(repoRoot, 'shared'), { recursive: true, encoding: 'utf8' })
      .filter((p) => p.endsWith('.ts'))
      .map((p) => readFileSync(join(repoRoot, 'shared', p), 'utf8'))
      .join('\n');
    expect(everything).not.toMatch(/\.(setSecret|beginDeleteSecret|purgeDeletedSecret)\(/);
    expect(granted('keyVault', 'keyVaultSecretsUser')).toBe(true);
    const officer = declared('Microsoft.Authorization/roleAssignments').find((a) => a.symbol === 'userKeyVault');
    expect(officer?.header).toMatch(/if \(!empty\(userPrincipalId\)\)/);
    expect(officer?.body).toMatch(/scope: keyVault\b/);
    expect(officer?.body).toMatch(/roles\.keyVaultSecretsOfficer/);
  });
});

describe('infra: secrets on the first provision', () => {
  const yaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');

  it('azure.yaml runs one Node hook after provision, on posix and windows', () => {
    const hooks = /^hooks:\n((?: {2,}.*\n?)*)/m.exec(yaml)?.[1] ?? '';
    expect(hooks).toMatch(/^ {2}postprovision:$/m);
    const runs = [...hooks.matchAll(/^ {6}run: (.+)$/gm)].map((m) => m[1]);
    expect(runs).toEqual(['node scripts/provision-secrets.mjs', 'node scripts/provision-secrets.mjs']);
    expect(hooks).toMatch(/^ {4}posix:$/m);
    expect(hooks).toMatch(/^ {4}windows:$/m);
  });

  it('main.bicep names the secrets the hook creates, the same names the app reads', () => {
    expect(main.code).toMatch(/^output AZURE_KEY_VAULT_SECRET_NAMES string = join\(appSecretNames, ','\)$/m);
    const names = blockAfter(main, /^var appSecretNames = \[/m);
    for (const v of ['credentialKeySecretName', 'cursorKeySecretName', 'operatorKeySecretName'])
      expect(names).toContain(v);
    expect(main.code).toMatch(/^var credentialKeySecretName = 'credential-encryption-key'$/m);
    expect(main.code).toMatch(/^var cursorKeySecretName = 'cursor-signing-key'$/m);
    expect(main.code).toMatch(/^var operatorKeySecretName = 'operator-api-key'$/m);
    expect(shared('tenants/operator-key.ts')).toMatch(/OPERATOR_KEY_SECRET = 'operator-api-key'/);
    expect(main.code).toMatch(/^output AZURE_KEY_VAULT_ENDPOINT string = keyVault\.outputs\.uri$/m);
    // No secret value is a parameter (deployment history would keep it).
    expect(main.code).not.toMatch(/@secure\(\)/);
  });

  function shared(path: string): string {
    return readFileSync(join(repoRoot, 'shared', path), 'utf8');
  }
});

describe('infra: private networking (vnetEnabled)', () => {
  it('is off by default and adds the network module only when on', () => {
    expect(paramDefault(main, 'vnetEnabled')).toBe('false');
    expect(main.code).toMatch(/^module privateNetworking 'app\/private-networking\.bicep' = if \(vnetEnabled\) \{/m);
    // The network itself is built for vnetEnabled or staticEgress (test/unit/infra-static-egress.test.ts).
    expect(main.code).toMatch(/^var appNetworkEnabled = vnetEnabled \|\| staticEgress$/m);
    expect(moduleParams('app', 'app/function.bicep').get('virtualNetworkSubnetId')).toBe(
      "appNetworkEnabled ? network.outputs.appSubnetId : ''",
    );
    const site = declared('Microsoft.Web/sites')[0];
    expect(site?.body).toMatch(
      /virtualNetworkSubnetId: empty\(virtualNetworkSubnetId\) \? null : virtualNetworkSubnetId/,
    );
    expect(functionModule.code).toMatch(/^param virtualNetworkSubnetId string = ''$/m);
  });

  it('the app subnet is delegated to Microsoft.App/environments', () => {
    const networks = declared('Microsoft.Network/virtualNetworks');
    expect(networks.map((n) => n.file)).toEqual([vnetModule]);
    expect(networks[0]?.body).toMatch(/name: 'app'[\s\S]*?serviceName: 'Microsoft\.App\/environments'/);
    expect(networks[0]?.body).toMatch(/name: 'private-endpoints'/);
  });

  it('private endpoints: host blob, queue, table; data blob, table; Key Vault; Service Bus on Premium only', () => {
    const endpoints = blockAfter(networkingModule, /^var storageEndpoints = \[/m);
    const pairs = [...endpoints.matchAll(/target: (\w+)\.id\s*groupId: '(\w+)'/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(pairs.sort()).toEqual(
      [
        'hostStorage:blob',
        'hostStorage:queue',
        'hostStorage:table',
        'dataStorage:blob',
        'dataStorage:table',
        'keyVault:vault',
      ].sort(),
    );
    expect(blockAfter(networkingModule, /^var serviceBusEndpoint = \[/m)).toMatch(/groupId: 'namespace'/);
    expect(networkingModule.code).toMatch(
      /^var endpoints = serviceBusPrivateEndpoint \? concat\(storageEndpoints, serviceBusEndpoint\) : storageEndpoints$/m,
    );
    expect(moduleParams('privateNetworking', 'app/private-networking.bicep').get('serviceBusPrivateEndpoint')).toBe(
      "serviceBusSku == 'Premium'",
    );
    // Every endpoint registers in a private DNS zone linked to the network.
    expect(declared('Microsoft.Network/privateEndpoints/privateDnsZoneGroups').length).toBe(1);
    expect(declared('Microsoft.Network/privateDnsZones/virtualNetworkLinks').length).toBe(1);
    const zones = blockAfter(networkingModule, /^var zoneNames = \{/m);
    for (const zone of [
      'privatelink.blob.',
      'privatelink.queue.',
      'privatelink.table.',
      'privatelink.vaultcore.azure.net',
    ]) {
      expect(zones).toContain(zone);
    }
  });

  it('with vnetEnabled the services refuse public traffic (Service Bus only on Premium)', () => {
    for (const name of ['hostStorage', 'dataStorage']) {
      expect(moduleParams(name, 'core/storage/storage-account.bicep').get('publicNetworkAccess')).toBe('!vnetEnabled');
    }
    expect(storageModule.code).toMatch(/publicNetworkAccess: publicNetworkAccess \? 'Enabled' : 'Disabled'/);
    expect(storageModule.code).toMatch(/defaultAction: publicNetworkAccess \? 'Allow' : 'Deny'/);
    expect(moduleParams('keyVault', 'core/security/key-vault.bicep').get('publicNetworkAccess')).toBe('!vnetEnabled');
    expect(keyVaultModule.code).toMatch(/defaultAction: publicNetworkAccess \? 'Allow' : 'Deny'/);
    expect(moduleParams('serviceBus', 'core/messaging/service-bus.bicep').get('publicNetworkAccess')).toBe(
      "!(vnetEnabled && serviceBusSku == 'Premium')",
    );
  });
});

describe('infra: storage infrastructure encryption', () => {
  it('both accounts require it (a parameter, on by default), with account keys for queues and tables', () => {
    expect(paramDefault(main, 'storageInfrastructureEncryption')).toBe('true');
    expect(paramDefault(storageModule, 'infrastructureEncryption')).toBe('true');
    for (const name of ['hostStorage', 'dataStorage']) {
      expect(moduleParams(name, 'core/storage/storage-account.bicep').get('infrastructureEncryption')).toBe(
        'storageInfrastructureEncryption',
      );
    }
    const account = declared('Microsoft.Storage/storageAccounts')[0];
    const encryption = blockAfter(fragment('account', account?.body ?? ''), /\bencryption: \{/);
    expect(encryption).toMatch(/requireInfrastructureEncryption: infrastructureEncryption/);
    expect(encryption).toMatch(
      /queue: \{\s*enabled: true\s*keyType: infrastructureEncryption \? 'Account' : 'Service'/,
    );
    expect(encryption).toMatch(
      /table: \{\s*enabled: true\s*keyType: infrastructureEncryption \? 'Account' : 'Service'/,
    );
  });
});
