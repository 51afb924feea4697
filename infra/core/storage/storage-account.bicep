// A general-purpose v2 storage account reached only with Microsoft Entra ID: shared keys are off, so
// no connection string with a key can work against it, and nothing in these templates lists keys.
// Used twice by main.bicep: the host account (AzureWebJobsStorage, Durable Functions task hub, the
// Flex Consumption deployment container) and the hub's data account (tables and payload blobs).

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Region of the account.')
param location string

@description('Tags applied to the account.')
param tags object = {}

@description('Replication. Standard_LRS is the cheapest; ZRS survives a zone outage in regions that have zones.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
param skuName string = 'Standard_LRS'

@description('Blob containers to create, all private.')
param containerNames array = []

@description('Days a deleted blob can be restored; 0 turns blob soft delete off.')
@minValue(0)
@maxValue(365)
param blobSoftDeleteDays int = 0

@description('Days a deleted container can be restored (with its blobs); 0 turns container soft delete off.')
@minValue(0)
@maxValue(365)
param containerSoftDeleteDays int = 0

@description('Log Analytics workspace that receives the blob and table request logs; empty sends none.')
param logAnalyticsWorkspaceId string = ''

@description('Accept traffic from the internet (Entra ID only). False: private endpoints only, every other network denied.')
param publicNetworkAccess bool = true

@description('Encrypt a second time at the infrastructure layer, with queues and tables under the account key. Only takes effect when the account is created; an existing account keeps what it was created with and refuses a change.')
param infrastructureEncryption bool = true

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
    }
    // Both settings are fixed when the account is created (main.bicep's storageInfrastructureEncryption
    // says what that means for an environment that exists already). Account-scoped keys for queues
    // and tables are what lets infrastructure encryption cover them, not only blobs and files.
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: infrastructureEncryption
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: infrastructureEncryption ? 'Account' : 'Service'
        }
        table: {
          enabled: true
          keyType: infrastructureEncryption ? 'Account' : 'Service'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: blobSoftDeleteDays > 0
      days: max(blobSoftDeleteDays, 1)
    }
    containerDeleteRetentionPolicy: {
      enabled: containerSoftDeleteDays > 0
      days: max(containerSoftDeleteDays, 1)
    }
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

// Request logs (who read, wrote or deleted what, with which identity) for the two services the hub
// uses. Storage logs are per service, not per account; queue and file services carry no hub data.
var requestLogs = [
  {
    category: 'StorageRead'
    enabled: true
  }
  {
    category: 'StorageWrite'
    enabled: true
  }
  {
    category: 'StorageDelete'
    enabled: true
  }
]

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: requestLogs
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: tableService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: requestLogs
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for containerName in containerNames: {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}]

output id string = account.id
output name string = account.name
// Service URLs without a trailing slash, as the SDK clients and the Functions identity-based
// connection settings (`<Connection>__tableServiceUri`, `__blobServiceUri`) expect them.
output blobServiceUri string = 'https://${account.name}.blob.${environment().suffixes.storage}'
output queueServiceUri string = 'https://${account.name}.queue.${environment().suffixes.storage}'
output tableServiceUri string = 'https://${account.name}.table.${environment().suffixes.storage}'
// The blob endpoint as Azure reports it (with a trailing slash), for the deployment container URL.
output primaryBlobEndpoint string = account.properties.primaryEndpoints.blob
