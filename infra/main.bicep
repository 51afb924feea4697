// MSP Integration Hub: everything `azd up` provisions (docs/deploy.md walks through it).
//
//   resource group rg-<environmentName>
//   ├─ user-assigned identity   id-func-<token>   the app's only credential
//   ├─ storage (host)           st<token>         AzureWebJobsStorage, Durable task hub, deployment package
//   ├─ storage (data)           stdata<token>     the hub's tables and payload blobs
//   ├─ Service Bus (Standard)   sb-<token>        pipeline stage queues + health-probe (Premium optional)
//   ├─ Key Vault                kv-<token>        credential encryption key and other secrets
//   ├─ Log Analytics + App Insights               telemetry, Entra-only ingestion
//   ├─ Flex Consumption plan + function app       func-<token>, Node 22
//   ├─ (vnetEnabled or staticEgress) VNet         vnet-<token>, the app's integration subnet
//   ├─ (vnetEnabled) private endpoints + DNS      app/private-networking.bicep
//   ├─ (staticEgress) NAT gateway + static IP     app/static-egress.bicep, the app's outbound address
//   ├─ role assignments                           app identity and (optionally) the deployer
//   ├─ action group, alert rules, healthz test    core/monitor/alerts.bicep
//   ├─ workbook (shared, linked to App Insights)  core/monitor/workbook.bicep
//   ├─ alerts on the app's own telemetry          core/monitor/telemetry-alerts.bicep
//   └─ alerts on sync runs                        core/monitor/sync-alerts.bicep
//
// Every setting the app reads in Azure is in `appSettings` below; test/unit/infra-settings.test.ts
// checks it against shared/config/settings.ts, so a setting added there with scope 'azure' fails the
// test until it is provided here.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; part of the resource group name, the resource token and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer Flex Consumption. The list is the regions the Flex Consumption quickstart templates allow; `az functionapp list-flexconsumption-locations` gives the current one (docs/deploy.md, "Region").')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group name; empty means rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the person or pipeline deploying (azd passes AZURE_PRINCIPAL_ID); gets Key Vault Secrets Officer on the vault (the postprovision hook creates the secrets with it), and data-plane roles only with grantDeployerDataRoles.')
param principalId string = ''

@description('Give principalId standing data-plane roles on the data (storage, Service Bus Data Owner). Off by default; the secrets need only the Key Vault role principalId always gets.')
param grantDeployerDataRoles bool = false

@description('Kind of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Deliveries before Service Bus dead-letters a message that keeps failing (crash or poison). Set on every queue and passed to the app as QUEUE_MAX_DELIVERY_COUNT.')
@minValue(1)
@maxValue(2000)
param queueMaxDeliveryCount int = 5

// Duplicate detection must still remember a message id when the same step can be sent again. The
// longest such span: a message redelivered up to queueMaxDeliveryCount times, each delivery held at
// most functionTimeout (host.json; the lock is renewed that long) plus one lock duration before it
// lapses, then the handler re-sending its planned retry, scheduled up to the longest planned-retry
// delay ahead (backoff ceiling or the Retry-After cap in the retry code). 5 × (10 + 1) min + 60 min =
// 115 min with today's defaults; test/unit/infra-posture.test.ts recomputes it from host.json, the
// settings and this file, so raising one of them without this fails the test.
@description('Service Bus duplicate detection window on every queue (ISO 8601, at most P7D).')
param queueDuplicateDetectionWindow string = 'PT3H'

@description('Durable Functions task hub name (3-45 letters or digits, starting with a letter); host.json reads it as %DURABLE_TASK_HUB%.')
@minLength(3)
@maxLength(45)
param durableTaskHubName string = 'MspHub'

@description('Admin API requests per minute allowed for one API key across all instances.')
@minValue(1)
param apiRateLimitPerMinute int = 600

@description('Lowest level the hub logger writes.')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

@description('Public base URL of the hub (https://<custom domain or default host name>, no trailing slash); used in the OpenAPI servers list and in webhook URLs. Empty: relative URLs. Set it after the first deployment, when the host name is known.')
param publicBaseUrl string = ''

@description('Memory per Flex Consumption instance in MB (billing is per GB-second of this size).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the app may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Replication of both storage accounts.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Always-ready instances for the Flex Consumption `durable` scale group (1 as the Durable Functions guidance says; 0 saves the baseline cost and accepts cold starts on orchestrations).')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstances int = 1

@description('Email address that receives the alerts (core/monitor/alerts.bicep). Required: azd asks for it on the first provision unless ALERT_EMAIL is set.')
@minLength(3)
param alertEmail string

@description('Private networking: VNet integration for the app, private endpoints and DNS zones for both storage accounts and Key Vault (and Service Bus on Premium), public access off on each. Off by default.')
param vnetEnabled bool = false

@description('Static egress: the app integrates with a virtual network (created with vnetEnabled or alone) whose app subnet sends internet traffic through a NAT gateway with one Standard static public IP, so vendors can allow-list the hub\'s address (HUB_EGRESS_IPS, GET /api/v1/meta/egress). Off by default: outbound addresses are then the platform\'s shared, changing ones.')
param staticEgress bool = false

@description('Service Bus tier. Premium is the only tier with private endpoints (and 80 GB queues); with vnetEnabled and Standard, Service Bus stays on its public endpoint (Entra ID only).')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@description('Infrastructure (double) encryption on both storage accounts. Fixed when an account is created: an environment whose accounts exist without it must set this to false (or move to new accounts).')
param storageInfrastructureEncryption bool = true

@description('With vnetEnabled: the deployer\'s public IP address (or CIDR), let through the Key Vault firewall so the postprovision hook can create the secrets. Empty: run `azd provision` from inside the network.')
param deployerIpAddress string = ''

@description('Days Log Analytics keeps telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var serviceName = 'api'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

// The pipeline stage queues (docs/pipeline.md), the health-probe fan-out queue and the sync page queue (docs/sync.md). Every one has a
// function triggered by it, and so does each stage queue's `<queue>-deadletter` companion (the
// failures consumer); `health-probe-deadletter` has none (docs/deploy.md, "Timers and queues").
var queueNames = [
  'validation'
  'sop-matching'
  'agent-dispatch'
  'agent-execution'
  'tool-call'
  'health-probe'
  'outbound-first-attempt'
  'sync-page'
]
var consumedDeadLetterQueueNames = map(filter(queueNames, name => name != 'health-probe'), name => '${name}-deadletter')
var triggeredQueueNames = concat(queueNames, consumedDeadLetterQueueNames)
var allQueueNames = concat(queueNames, map(queueNames, name => '${name}-deadletter'))
// The app integrates with a virtual network for private endpoints, for a static egress address, or both.
var appNetworkEnabled = vnetEnabled || staticEgress

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-func-${resourceToken}'
    location: location
    tags: tags
  }
}

module hostStorage 'core/storage/storage-account.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    containerNames: [
      deploymentContainerName
    ]
    publicNetworkAccess: !vnetEnabled
    infrastructureEncryption: storageInfrastructureEncryption
  }
}

module dataStorage 'core/storage/storage-account.bicep' = {
  name: 'data-storage'
  scope: rg
  params: {
    name: 'stdata${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    blobSoftDeleteDays: 7
    containerSoftDeleteDays: 7
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    publicNetworkAccess: !vnetEnabled
    infrastructureEncryption: storageInfrastructureEncryption
  }
}

module serviceBus 'core/messaging/service-bus.bicep' = {
  name: 'service-bus'
  scope: rg
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
    queueNames: queueNames
    maxDeliveryCount: queueMaxDeliveryCount
    duplicateDetectionWindow: queueDuplicateDetectionWindow
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    skuName: serviceBusSku
    // Only Premium can be reached privately; Standard keeps its public endpoint (Entra ID only).
    publicNetworkAccess: !(vnetEnabled && serviceBusSku == 'Premium')
  }
}

module keyVault 'core/security/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    publicNetworkAccess: !vnetEnabled
    allowedIpAddresses: vnetEnabled && !empty(deployerIpAddress) ? [
      deployerIpAddress
    ] : []
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module staticEgressGateway 'app/static-egress.bicep' = if (staticEgress) {
  name: 'static-egress'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module network 'core/network/virtual-network.bicep' = if (appNetworkEnabled) {
  name: 'virtual-network'
  scope: rg
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
    natGatewayId: staticEgress ? staticEgressGateway.outputs.natGatewayId : ''
  }
}

module privateNetworking 'app/private-networking.bicep' = if (vnetEnabled) {
  name: 'private-networking'
  scope: rg
  params: {
    location: location
    tags: tags
    virtualNetworkId: network.outputs.id
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    hostStorageName: hostStorage.outputs.name
    dataStorageName: dataStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    serviceBusName: serviceBus.outputs.name
    serviceBusPrivateEndpoint: serviceBusSku == 'Premium'
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    hostStorageName: hostStorage.outputs.name
    dataStorageName: dataStorage.outputs.name
    serviceBusName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    grantDeployerDataRoles: grantDeployerDataRoles
    triggeredQueueNames: triggeredQueueNames
  }
}

// Every app setting of the function app (names are case-sensitive for the app's settings schema).
// All values are strings. No setting holds a key or a connection string with a secret: storage,
// Service Bus, Key Vault and telemetry are all reached with the user-assigned identity.
// The secrets the app refuses to start without; the postprovision hook creates each one that is
// missing (docs/deploy.md, "Secrets on the first provision").
var credentialKeySecretName = 'credential-encryption-key'
var cursorKeySecretName = 'cursor-signing-key'
var operatorKeySecretName = 'operator-api-key'
var appSecretNames = [
  credentialKeySecretName
  cursorKeySecretName
  operatorKeySecretName
]

var appSettings = {
  // Functions host storage, also the Durable Functions task hub (host.json: connectionName AzureWebJobsStorage).
  // Service URIs rather than __accountName: they carry the cloud's own endpoint suffix, so the same
  // template works in sovereign clouds, where an account name alone resolves to the public cloud.
  AzureWebJobsStorage__blobServiceUri: hostStorage.outputs.blobServiceUri
  AzureWebJobsStorage__queueServiceUri: hostStorage.outputs.queueServiceUri
  AzureWebJobsStorage__tableServiceUri: hostStorage.outputs.tableServiceUri
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  // Telemetry from the Functions host, authenticated with the identity (local auth is off).
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // The hub (shared/config/settings.ts).
  HUB_ENVIRONMENT: 'production'
  DataStorage__tableServiceUri: dataStorage.outputs.tableServiceUri
  DataStorage__blobServiceUri: dataStorage.outputs.blobServiceUri
  DataStorage__credential: 'managedidentity'
  DataStorage__clientId: identity.outputs.clientId
  BUS_MODE: 'servicebus'
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identity.outputs.clientId
  QUEUE_MAX_DELIVERY_COUNT: string(queueMaxDeliveryCount)
  KEY_VAULT_URI: keyVault.outputs.uri
  // The credential key ring lives in this Key Vault secret (docs/runbooks/credential-key-rotation.md).
  CREDENTIAL_KEY_SECRET_NAME: credentialKeySecretName
  DURABLE_TASK_HUB: durableTaskHubName
  API_RATE_LIMIT_PER_MINUTE: string(apiRateLimitPerMinute)
  LOG_LEVEL: logLevel
  PUBLIC_BASE_URL: publicBaseUrl
  // Resolved by the platform from Key Vault (the secret must exist: docs/decisions.md, "Cursor signing key").
  CURSOR_SIGNING_KEY: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${cursorKeySecretName})'
  // The static outbound address (staticEgress), comma-separated; empty: egress is not static.
  HUB_EGRESS_IPS: staticEgress ? staticEgressGateway.outputs.publicIpAddress : ''
}

module app 'app/function.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: serviceName
    identityId: identity.outputs.id
    deploymentStorageBlobEndpoint: hostStorage.outputs.primaryBlobEndpoint
    deploymentContainerName: deploymentContainerName
    appSettings: appSettings
    nodeVersion: '22'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    durableAlwaysReadyInstances: durableAlwaysReadyInstances
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    virtualNetworkSubnetId: appNetworkEnabled ? network.outputs.appSubnetId : ''
  }
  // The host reaches storage, Service Bus and Key Vault as soon as it starts: grant the roles (and,
  // with vnetEnabled, open the private endpoints) first.
  dependsOn: [
    rbac
    privateNetworking
  ]
}

module alerts 'core/monitor/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: resourceToken
    location: location
    tags: tags
    alertEmail: alertEmail
    serviceBusName: serviceBus.outputs.name
    deadLetterQueueNames: consumedDeadLetterQueueNames
    triggeredQueueNames: triggeredQueueNames
    allQueueNames: allQueueNames
    queueMaxSizeInMegabytes: serviceBus.outputs.maxSizeInMegabytes
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appBaseUrl: app.outputs.uri
  }
}

// The workbook and the alerts on the app's own telemetry (docs/telemetry.md).
module workbook 'core/monitor/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    serviceBusName: serviceBus.outputs.name
  }
}

module telemetryAlerts 'core/monitor/telemetry-alerts.bicep' = {
  name: 'telemetry-alerts'
  scope: rg
  params: {
    namePrefix: resourceToken
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    actionGroupId: alerts.outputs.actionGroupId
  }
}

// Sync runs that fail twice in a row or bring many data-quality warnings (docs/sync-metrics.md).
module syncAlerts 'core/monitor/sync-alerts.bicep' = {
  name: 'sync-alerts'
  scope: rg
  params: {
    namePrefix: resourceToken
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    actionGroupId: alerts.outputs.actionGroupId
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output SERVICE_API_NAME string = app.outputs.name
output SERVICE_API_URI string = app.outputs.uri
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_HOST_STORAGE_ACCOUNT_NAME string = hostStorage.outputs.name
output AZURE_DATA_STORAGE_ACCOUNT_NAME string = dataStorage.outputs.name
output AZURE_DATA_STORAGE_TABLE_SERVICE_URI string = dataStorage.outputs.tableServiceUri
output AZURE_DATA_STORAGE_BLOB_SERVICE_URI string = dataStorage.outputs.blobServiceUri
output AZURE_SERVICE_BUS_NAMESPACE string = serviceBus.outputs.name
output AZURE_SERVICE_BUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = monitoring.outputs.logAnalyticsWorkspaceName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
// Read by the postprovision hook (scripts/provision-secrets.mjs): which secrets to create, where.
output AZURE_KEY_VAULT_SECRET_NAMES string = join(appSecretNames, ',')
output AZURE_VNET_ENABLED bool = vnetEnabled
// The address vendors allow-list (staticEgress); empty when egress is not static.
output HUB_EGRESS_IPS string = staticEgress ? staticEgressGateway.outputs.publicIpAddress : ''
