// Every role assignment of the deployment, by built-in role definition id (the same GUID in every
// tenant and cloud). The app's user-assigned identity gets what the host and the hub need and no
// more. The deploying principal (azd's AZURE_PRINCIPAL_ID) always gets Key Vault Secrets Officer on
// the vault, which the postprovision hook (scripts/provision-secrets.mjs) needs to create the app's
// secrets on the first provision and which rotation needs later; it reads no tenant data. Standing
// access to the data itself (storage, Service Bus) only when main.bicep's grantDeployerDataRoles is
// true; off by default, so production data is not readable by whoever last ran `azd provision`. Assignment names are
// guid(scope, principal, role), so a re-deployment finds the same assignments instead of failing on
// duplicates.

@description('Host storage account (AzureWebJobsStorage, Durable Functions, deployment container).')
param hostStorageName string

@description('Hub data storage account (tables, payload blobs).')
param dataStorageName string

@description('Service Bus namespace.')
param serviceBusName string

@description('Key Vault.')
param keyVaultName string

@description('Application Insights component.')
param applicationInsightsName string

@description('Principal (object) id of the user-assigned identity the app runs as.')
param appPrincipalId string

@description('Object id of the deploying user or service principal; empty skips its assignments.')
param userPrincipalId string = ''

@description('Give the deploying principal standing data-plane roles (storage data, Service Bus, Key Vault secrets).')
param grantDeployerDataRoles bool = false

@description('Queues a function of the app is triggered by; the app gets Manage (Data Owner) on each, which target-based scaling needs to read their length.')
param triggeredQueueNames array = []

@description('Kind of the deploying principal.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param userPrincipalType string = 'User'

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Host storage: the Functions host (blob leases, timers, deployment package) and the Durable Functions
// Azure Storage provider (control and work-item queues, history and instance tables, large-message
// and lease blobs) need all three data services.
var hostStorageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

// Data account: entities and payload blobs. Contributor is enough (no ACL ownership needed); queues
// are used only by the local storage-queue bus, never in Azure.
var dataStorageRoles = [
  roles.storageBlobDataContributor
  roles.storageTableDataContributor
]

// Service Bus for the app, namespace-wide: send (stage hand-offs, planned retries, explicit
// dead-letter copies) and receive (triggers, peeking dead letters). The app's own code manages no
// entity. But the platform scales Service Bus triggers on queue length only with the Manage right
// ("Target-based scaling", Service Bus: with Listen only it falls back to incremental scale-out),
// so each queue a function is triggered by also grants Data Owner, scoped to that queue alone
// (appTriggeredQueues below). docs/deploy.md, "Least privilege on Service Bus".
var appServiceBusRoles = [
  roles.serviceBusDataSender
  roles.serviceBusDataReceiver
]

// The deployer, when asked for: peek and, in an incident, move or purge messages by hand.
var deployerServiceBusRoles = [
  roles.serviceBusDataOwner
]

var deployerRoles = grantDeployerDataRoles && !empty(userPrincipalId)

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource dataStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource triggeredQueues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = [for queueName in triggeredQueueNames: {
  parent: serviceBus
  name: queueName
}]

// ---- The app's identity ----

resource appHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in hostStorageRoles: {
  name: guid(hostStorage.id, appPrincipalId, roleId)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appDataStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in dataStorageRoles: {
  name: guid(dataStorage.id, appPrincipalId, roleId)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appServiceBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in appServiceBusRoles: {
  name: guid(serviceBus.id, appPrincipalId, roleId)
  scope: serviceBus
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// Manage on each triggered queue, for the scale controller to read its length (see appServiceBusRoles).
resource appTriggeredQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (queueName, i) in triggeredQueueNames: {
  name: guid(triggeredQueues[i].id, appPrincipalId, roles.serviceBusDataOwner)
  scope: triggeredQueues[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// Read secrets only; the app never writes to the vault.
resource appKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Entra-authenticated telemetry ingestion (the component has local auth disabled).
resource appMonitoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- The deploying principal (only with grantDeployerDataRoles) ----

resource userHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in hostStorageRoles: if (deployerRoles) {
  name: guid(hostStorage.id, userPrincipalId, roleId)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}]

resource userDataStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in dataStorageRoles: if (deployerRoles) {
  name: guid(dataStorage.id, userPrincipalId, roleId)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}]

resource userServiceBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in deployerServiceBusRoles: if (deployerRoles) {
  name: guid(serviceBus.id, userPrincipalId, roleId)
  scope: serviceBus
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}]

// ---- The deploying principal, always (when azd names one) ----

// Officer, not User: the postprovision hook creates the app's secrets when they are missing, and the
// deployer rotates them later. Secrets only: no keys, no certificates, no tenant data.
resource userKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(keyVault.id, userPrincipalId, roles.keyVaultSecretsOfficer)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
