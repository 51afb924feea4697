// The hub's function app on the Flex Consumption plan (FC1, Linux). Runtime, scale and the deployment
// package location live in `functionAppConfig`; the plan rejects or ignores the classic settings
// (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENT*, WEBSITE_NODE_DEFAULT_VERSION...), so none of them is set here. App settings come
// whole from main.bicep (one object, one place to read them) and are written by the `appsettings`
// config resource below. Deployment goes through azd with Microsoft Entra ID (the deployment container
// is reached with the identity), so FTP and the SCM site's basic-auth publishing credentials are off.

@description('Function app name (also the default host name: <name>.azurewebsites.net).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Region of the plan and the app; it must offer Flex Consumption.')
param location string

@description('Tags applied to the plan and the app.')
param tags object = {}

@description('azd service name from azure.yaml; azd finds the app to deploy by this tag.')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Blob endpoint of the host storage account, with its trailing slash.')
param deploymentStorageBlobEndpoint string

@description('Container in the host storage account that holds the deployment package.')
param deploymentContainerName string

@description('Every app setting, name to string value.')
param appSettings object

@description('Node.js major version of the Functions worker.')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on instances the app scales out to (bounds cost and downstream load).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances for the `durable` scale group (orchestrators, activities, entities); 0 lets it scale to zero.')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstances int = 1

@description('Log Analytics workspace that receives FunctionAppLogs; empty sends none.')
param logAnalyticsWorkspaceId string = ''

@description('Subnet (delegated to Microsoft.App/environments) the app integrates with; empty: no virtual network.')
param virtualNetworkSubnetId string = ''

// Per-function scale group `durable` covers every orchestrator, activity and entity trigger.
var durableAlwaysReady = [
  {
    name: 'durable'
    instanceCount: durableAlwaysReadyInstances
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in app settings (CURSOR_SIGNING_KEY) resolve with the user-assigned
    // identity; without this the platform tries a system-assigned identity the app does not have.
    keyVaultReferenceIdentity: identityId
    // VNet integration (main.bicep's vnetEnabled): the instances' outbound traffic leaves through this
    // subnet, where the private endpoints of storage, Key Vault and (Premium) Service Bus resolve.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${deploymentStorageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // The Durable Functions guidance for Flex Consumption: keep one instance of the durable group
        // warm, so an orchestration waiting on a timer or an activity result is not held up by a cold
        // start (the Azure Storage provider polls its queues only while an instance is running).
        alwaysReady: durableAlwaysReadyInstances > 0 ? durableAlwaysReady : []
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }

  resource appSettingsConfig 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

// Basic (user name and password) publishing is refused on both endpoints; azd deploys with Entra ID.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// The host's own log stream (function starts, completions, failures, host errors) in the workspace,
// next to the Service Bus, Key Vault and storage logs; Application Insights keeps the app telemetry.
resource siteDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output uri string = 'https://${site.properties.defaultHostName}'
