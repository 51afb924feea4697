import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingSpecs } from '../../shared/config/settings';
import {
  arrayStrings,
  blockAfter,
  bracketProblems,
  declared,
  file,
  files,
  fragment,
  infraPath,
  objectEntries,
  repoRoot,
  resources,
} from '../support/bicep-text';

/**
 * The Bicep under infra/ cannot be compiled here (no Bicep CLI), so this suite reads it as text
 * (test/support/bicep-text.ts) and checks what the app depends on: every setting the app reads in
 * Azure is provided, the queues exist with the semantics the bus relies on, and nothing is reached
 * with a key. The hardening and alerting checks are in infra-posture.test.ts.
 */

interface RoleGrant {
  scope: string;
  principal: string;
  principalType: string;
  role: string;
  /** Only with grantDeployerDataRoles. */
  conditional: boolean;
  /** Whenever azd names a deployer. */
  forDeployer: boolean;
}

/**
 * Every role the rbac module grants, one entry per role (loops expanded), with role ids resolved
 * through `var roles = {...}` and the role-list variables to built-in role names.
 */
function roleGrants(): RoleGrant[] {
  const rbac = file('app/rbac.bicep');
  const names = new Map<string, string>(Object.entries(ROLE_IDS).map(([name, id]) => [id, name]));
  const roleVars = new Map<string, string>();
  for (const [key, value] of objectEntries(blockAfter(rbac, /^var roles = \{/m))) {
    roleVars.set(`roles.${key}`, names.get(value.replace(/^'|'$/g, '')) ?? `unknown ${value}`);
  }
  const listVar = (name: string) =>
    blockAfter(rbac, new RegExp(`^var ${name} = \\[`, 'm'))
      .slice(1, -1)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
  const grants: RoleGrant[] = [];
  for (const a of declared('Microsoft.Authorization/roleAssignments')) {
    if (a.file !== rbac) throw new Error(`role assignment ${a.symbol} outside app/rbac.bicep`);
    const properties = objectEntries(blockAfter(fragment(a.symbol, a.body), /\bproperties: \{/));
    const scope = objectEntries(a.body).get('scope') ?? '';
    const loop = /\[for (\w+) in (\w+):/.exec(a.header);
    const roleExpression = /roleDefinitions', ([\w.]+)\)/.exec(properties.get('roleDefinitionId') ?? '')?.[1] ?? '';
    const roleRefs = loop && roleExpression === loop[1] ? listVar(loop[2] ?? '') : [roleExpression];
    for (const ref of roleRefs) {
      grants.push({
        scope,
        principal: properties.get('principalId') ?? '',
        principalType: properties.get('principalType') ?? '',
        role: roleVars.get(ref) ?? `unresolved ${ref}`,
        conditional: /\bif \(deployerRoles\)/.test(a.header),
        forDeployer: /\bif \(!empty\(userPrincipalId\)\)/.test(a.header),
      });
    }
  }
  return grants;
}

const main = file('main.bicep');
const functionModule = file('app/function.bicep');
const rbacModule = file('app/rbac.bicep');
const serviceBusModule = file('core/messaging/service-bus.bicep');
const appSettings = objectEntries(blockAfter(main, /^var appSettings = \{/m));
const APP_MODULE_PARAMS = /^module app 'app\/function\.bicep' = \{[\s\S]*?\bparams: \{/m;
const SERVICE_BUS_MODULE_PARAMS = /^module serviceBus 'core\/messaging\/service-bus\.bicep' = \{[\s\S]*?\bparams: \{/m;

const azureSettings = Object.entries(settingSpecs)
  .filter(([, spec]) => spec.scope === 'azure')
  .map(([name]) => name);

/** Settings Flex Consumption rejects or manages itself (functions-app-settings, "Flex Consumption plan deprecations"). */
const FLEX_FORBIDDEN_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTOVERVNET',
  'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
];

const STAGE_QUEUES = ['validation', 'sop-matching', 'agent-dispatch', 'agent-execution', 'tool-call'];

/** Built-in role definition ids (the same in every tenant). */
const ROLE_IDS = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Azure Service Bus Data Owner': '090c5cfd-751d-490a-894a-3ce6f1109419',
  'Azure Service Bus Data Sender': '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  'Azure Service Bus Data Receiver': '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;

describe('infra: Bicep structure', () => {
  it('finds the templates the deployment is made of', () => {
    const names = files.map(infraPath);
    expect(names).toEqual(
      expect.arrayContaining([
        'main.bicep',
        'app/function.bicep',
        'app/rbac.bicep',
        'core/identity/user-assigned-identity.bicep',
        'core/messaging/service-bus.bicep',
        'core/monitor/monitoring.bicep',
        'core/monitor/alerts.bicep',
        'core/security/key-vault.bicep',
        'core/storage/storage-account.bicep',
      ]),
    );
  });

  it('every Bicep file has matched brackets outside strings and comments', () => {
    for (const f of files) expect(bracketProblems(f), relative(repoRoot, f.path)).toEqual([]);
  });

  it('the scanner ignores brackets in strings, interpolations and comments', () => {
    const sample = fragment('sample', `var a = '}\${b[0]}{' // ]\n/* { */ var c = { d: '\\'[' }\nvar e = '''\n}\n'''`);
    expect(bracketProblems(sample)).toEqual([]);
    expect(sample.code).not.toContain('//');
    expect(bracketProblems(fragment('broken', "var a = { b: '}' "))).toEqual(["unclosed '{' from line 1"]);
    for (const f of files) expect(f.code.length).toBe(readFileSync(f.path, 'utf8').length);
  });

  it('every module path points at a template that exists', () => {
    for (const f of files) {
      for (const m of f.code.matchAll(/^\s*module\s+\w+\s+'([^']+)'/gm)) {
        const target = join(f.path, '..', m[1] ?? '');
        expect(
          files.some((g) => g.path === target),
          `${relative(repoRoot, f.path)} -> ${m[1]}`,
        ).toBe(true);
      }
    }
  });

  it('every resource pins a dated, non-preview API version', () => {
    expect(resources.length).toBeGreaterThan(10);
    for (const r of resources) {
      // Diagnostic settings have never had a GA API version; 2021-05-01-preview is the one the
      // Azure Monitor documentation and the ARM reference use.
      const allowed =
        r.type === 'Microsoft.Insights/diagnosticSettings' ? /^2021-05-01-preview$/ : /^\d{4}-\d{2}-\d{2}$/;
      expect(r.apiVersion, `${r.symbol} in ${relative(repoRoot, r.file.path)}`).toMatch(allowed);
    }
  });
});

describe('infra: app settings', () => {
  it('provides every setting that shared/config/settings.ts marks as azure', () => {
    expect(azureSettings.length).toBeGreaterThan(0);
    const missing = azureSettings.filter((name) => !appSettings.has(name));
    expect(missing, 'add these to `var appSettings` in infra/main.bicep').toEqual([]);
  });

  it('literal values pass the settings schema', () => {
    const specs: Record<string, { schema: { safeParse(v: unknown): { success: boolean } } }> = settingSpecs;
    let checked = 0;
    for (const [name, value] of appSettings) {
      const literal = /^'([^'$\\]*)'$/.exec(value)?.[1];
      const spec = specs[name];
      if (literal === undefined || !spec) continue;
      expect(spec.schema.safeParse(literal).success, `${name}: ${value}`).toBe(true);
      checked += 1;
    }
    expect(appSettings.get('HUB_ENVIRONMENT')).toBe("'production'");
    expect(appSettings.get('BUS_MODE')).toBe("'servicebus'");
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('reach the function app through its appsettings config resource', () => {
    const params = objectEntries(blockAfter(main, APP_MODULE_PARAMS));
    expect(params.get('appSettings')).toBe('appSettings');
    const config = objectEntries(blockAfter(functionModule, /^\s*resource \w+ 'config' = \{/m));
    expect(config.get('name')).toBe("'appsettings'");
    expect(config.get('properties')).toBe('appSettings');
    expect(functionModule.code).not.toMatch(/\bappSettings\s*:\s*\[/);
  });

  it('sets nothing Flex Consumption rejects or manages itself', () => {
    for (const name of FLEX_FORBIDDEN_SETTINGS) expect(appSettings.has(name), name).toBe(false);
    for (const f of files) {
      for (const name of FLEX_FORBIDDEN_SETTINGS) {
        expect(new RegExp(`\\b${name}\\s*:|'${name}'`).test(f.code), `${name} in ${f.path}`).toBe(false);
      }
    }
  });

  it('connects with the managed identity, never with a connection string', () => {
    for (const connection of ['AzureWebJobsStorage', 'DataStorage', 'ServiceBusConnection']) {
      expect(appSettings.has(connection), `${connection} must not hold a connection string`).toBe(false);
      expect(appSettings.get(`${connection}__credential`), connection).toBe("'managedidentity'");
      expect(appSettings.get(`${connection}__clientId`), connection).toBe('identity.outputs.clientId');
    }
    expect(appSettings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      `'ClientId=\${identity.outputs.clientId};Authorization=AAD'`,
    );
    for (const [name] of appSettings) {
      if (name === 'APPLICATIONINSIGHTS_CONNECTION_STRING') continue;
      expect(name, 'only the App Insights connection string (no secret with local auth off) may be one').not.toMatch(
        /connection_?string/i,
      );
    }
  });

  it('no template reads a key, a SAS or a connection string with a secret', () => {
    for (const f of files) {
      expect(f.code, relative(repoRoot, f.path)).not.toMatch(
        /\blist\w*\(|listKeys|AccountKey=|SharedAccessKey|primaryKey|secondaryKey|listAccountSas|listServiceSas/i,
      );
    }
  });
});

describe('infra: resources', () => {
  it('storage accounts refuse shared keys, old TLS and anonymous blob access', () => {
    const accounts = declared('Microsoft.Storage/storageAccounts');
    expect(accounts.length).toBeGreaterThan(0);
    for (const a of accounts) {
      expect(a.body).toMatch(/\ballowSharedKeyAccess: false\b/);
      expect(a.body).toMatch(/\bminimumTlsVersion: 'TLS1_2'/);
      expect(a.body).toMatch(/\ballowBlobPublicAccess: false\b/);
    }
    for (const c of declared('Microsoft.Storage/storageAccounts/blobServices/containers')) {
      expect(c.body).toMatch(/\bpublicAccess: 'None'/);
    }
  });

  it('Service Bus accepts Microsoft Entra ID only', () => {
    const namespaces = declared('Microsoft.ServiceBus/namespaces');
    expect(namespaces.length).toBe(1);
    for (const n of namespaces) expect(n.body).toMatch(/\bdisableLocalAuth: true\b/);
  });

  it('Key Vault uses RBAC with soft delete and purge protection', () => {
    const vaults = declared('Microsoft.KeyVault/vaults');
    expect(vaults.length).toBe(1);
    for (const v of vaults) {
      expect(v.body).toMatch(/\benableRbacAuthorization: true\b/);
      expect(v.body).toMatch(/\benableSoftDelete: true\b/);
      expect(v.body).toMatch(/\benablePurgeProtection: true\b/);
    }
  });

  it('Application Insights is workspace-based', () => {
    const components = declared('Microsoft.Insights/components');
    expect(components.length).toBe(1);
    expect(components[0]?.body).toMatch(/\bWorkspaceResourceId: \w+\.id\b/);
    expect(components[0]?.body).toMatch(/\bDisableLocalAuth: /);
  });

  it('the function app runs on Flex Consumption, Node 22, as the user-assigned identity', () => {
    const plans = declared('Microsoft.Web/serverfarms');
    expect(plans.length).toBe(1);
    expect(plans[0]?.body).toMatch(/\btier: 'FlexConsumption'/);
    expect(plans[0]?.body).toMatch(/\bname: 'FC1'/);
    const sites = declared('Microsoft.Web/sites');
    expect(sites.length).toBe(1);
    const site = sites[0]?.body ?? '';
    expect(site).toMatch(/\bkind: 'functionapp,linux'/);
    expect(site).toMatch(/\btype: 'UserAssigned'/);
    expect(site).toMatch(/\bhttpsOnly: true\b/);
    expect(site).toMatch(/\bfunctionAppConfig: \{/);
    expect(site).toMatch(/\bruntime: \{\s*name: 'node'\s*version: nodeVersion\s*\}/);
    expect(site).toMatch(/\btype: 'UserAssignedIdentity'\s*userAssignedIdentityResourceId: identityId\b/);
    expect(site).toMatch(/'azd-service-name': serviceName/);
    expect(site).not.toMatch(/\bsiteConfig: \{[^}]*\b(linuxFxVersion|alwaysOn|appSettings)\b/);
    const appParams = objectEntries(blockAfter(main, APP_MODULE_PARAMS));
    expect(appParams.get('nodeVersion')).toBe("'22'");
    expect(appParams.get('serviceName')).toBe('serviceName');
    expect(main.code).toMatch(/^var serviceName = 'api'$/m);
  });

  it('role assignments use the built-in role definition ids', () => {
    const guids = [...rbacModule.code.matchAll(/'([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})'/g)].map((m) => m[1]);
    const known = new Set<string>(Object.values(ROLE_IDS));
    expect(guids.filter((g) => g === undefined || !known.has(g))).toEqual([]);
    for (const a of declared('Microsoft.Authorization/roleAssignments')) {
      expect(a.body).toMatch(
        /\broleDefinitionId: subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', /,
      );
      // guid(scope, principal, role): a scope may be one element of an `existing` loop (a queue).
      expect(a.body).toMatch(/\bname: guid\(\w+(\[i\])?\.id, \w+, /);
    }
  });

  it('grants the app identity and the deployer exactly the intended roles', () => {
    const rbacParams = objectEntries(blockAfter(main, /^module rbac 'app\/rbac\.bicep' = \{[\s\S]*?\bparams: \{/m));
    expect(rbacParams.get('appPrincipalId')).toBe('identity.outputs.principalId');
    expect(rbacParams.get('userPrincipalId')).toBe('principalId');
    const grants = roleGrants();
    const app = grants.filter((g) => g.principal === 'appPrincipalId');
    const user = grants.filter((g) => g.principal === 'userPrincipalId');
    expect(app.every((g) => g.principalType === "'ServicePrincipal'" && !g.conditional)).toBe(true);
    expect(user.every((g) => g.principalType === 'userPrincipalType' && (g.conditional || g.forDeployer))).toBe(true);
    // The one standing deployer role: the postprovision hook creates the app's secrets with it.
    expect(user.filter((g) => g.forDeployer).map((g) => `${g.scope}: ${g.role}`)).toEqual([
      'keyVault: Key Vault Secrets Officer',
    ]);
    expect(grants.length).toBe(app.length + user.length);
    const matrix = (list: RoleGrant[]) => list.map((g) => `${g.scope}: ${g.role}`).sort();
    const storageRoles = (scope: string, blob: keyof typeof ROLE_IDS) => [
      `${scope}: ${blob}`,
      `${scope}: Storage Table Data Contributor`,
    ];
    const hostStorage = [
      ...storageRoles('hostStorage', 'Storage Blob Data Owner'),
      'hostStorage: Storage Queue Data Contributor',
    ];
    const dataStorage = storageRoles('dataStorage', 'Storage Blob Data Contributor');
    expect(matrix(app)).toEqual(
      [
        ...hostStorage,
        ...dataStorage,
        'serviceBus: Azure Service Bus Data Sender',
        'serviceBus: Azure Service Bus Data Receiver',
        // Manage on each triggered queue alone, for target-based scaling (docs/deploy.md).
        'triggeredQueues[i]: Azure Service Bus Data Owner',
        'keyVault: Key Vault Secrets User',
        'applicationInsights: Monitoring Metrics Publisher',
      ].sort(),
    );
    expect(matrix(user)).toEqual(
      [
        ...hostStorage,
        ...dataStorage,
        'serviceBus: Azure Service Bus Data Owner',
        'keyVault: Key Vault Secrets Officer',
      ].sort(),
    );
  });
});

describe('infra: queues', () => {
  it('main.bicep declares the pipeline stage queues and the health-probe queue', () => {
    const queues = arrayStrings(blockAfter(main, /^var queueNames = \[/m));
    expect(queues).toEqual(expect.arrayContaining([...STAGE_QUEUES, 'health-probe']));
    expect(new Set(queues).size).toBe(queues.length);
    const sbParams = objectEntries(blockAfter(main, SERVICE_BUS_MODULE_PARAMS));
    expect(sbParams.get('queueNames')).toBe('queueNames');
  });

  it('every stage queue forwards its dead letters to a companion queue; all detect duplicates and dead-letter on expiry', () => {
    const queueResources = declared('Microsoft.ServiceBus/namespaces/queues');
    expect(queueResources.length).toBe(2);
    const propertiesOf = (resource: (typeof queueResources)[number] | undefined) =>
      objectEntries(blockAfter(fragment('queue resource', resource?.body ?? ''), /\bproperties: \{/));
    const stage = queueResources.find((q) => /^\s*name: queueName$/m.test(q.body));
    const companion = queueResources.find((q) => /^\s*name: '\$\{queueName\}-deadletter'$/m.test(q.body));
    expect(stage?.file).toBe(serviceBusModule);
    expect(companion?.file).toBe(serviceBusModule);
    for (const properties of [propertiesOf(stage), propertiesOf(companion)]) {
      expect(properties.get('requiresDuplicateDetection')).toBe('true');
      expect(properties.get('maxDeliveryCount')).toBe('maxDeliveryCount');
      expect(properties.get('duplicateDetectionHistoryTimeWindow')).toBe('duplicateDetectionWindow');
      expect(properties.get('lockDuration')).toBe('lockDuration');
      // A message that expires unread goes to a dead-letter sub-queue, never into nothing.
      expect(properties.get('deadLetteringOnMessageExpiration')).toBe('true');
    }
    const stageProperties = propertiesOf(stage);
    expect(stageProperties.get('forwardDeadLetteredMessagesTo')).toBe('deadLetterQueues[i].name');
    // The companions' own dead-letter sub-queue is the end of the line (watched by an alert).
    expect(propertiesOf(companion).has('forwardDeadLetteredMessagesTo')).toBe(false);
    expect(serviceBusModule.code).toMatch(/^param lockDuration string = 'PT1M'$/m);
    const sbParams = objectEntries(blockAfter(main, SERVICE_BUS_MODULE_PARAMS));
    expect(sbParams.get('duplicateDetectionWindow')).toBe('queueDuplicateDetectionWindow');
  });

  it('the queues and the app share one max delivery count', () => {
    const sbParams = objectEntries(blockAfter(main, SERVICE_BUS_MODULE_PARAMS));
    expect(sbParams.get('maxDeliveryCount')).toBe('queueMaxDeliveryCount');
    expect(appSettings.get('QUEUE_MAX_DELIVERY_COUNT')).toBe('string(queueMaxDeliveryCount)');
    const bicepDefault = /^param queueMaxDeliveryCount int = (\d+)$/m.exec(main.code)?.[1];
    expect(Number(bicepDefault)).toBe(settingSpecs.QUEUE_MAX_DELIVERY_COUNT.schema.parse(undefined));
  });
});

describe('azure.yaml', () => {
  const yaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');

  it('deploys the repository root as the api function app service', () => {
    const api = /^services:\n {2}api:\n((?: {4}.*\n| *#.*\n|\n)*)/m.exec(yaml)?.[1] ?? '';
    expect(api).toMatch(/^ {4}project: \.$/m);
    expect(api).toMatch(/^ {4}language: ts$/m);
    expect(api).toMatch(/^ {4}host: function$/m);
    expect(yaml).toMatch(/^ {2}path: infra$/m);
  });
});
