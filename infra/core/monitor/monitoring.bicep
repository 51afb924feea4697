// Log Analytics workspace and a workspace-based Application Insights component. Local authentication
// is off on both: the workspace answers queries and accepts data only with Microsoft Entra ID (no
// workspace shared keys), and the component accepts telemetry only with an Entra token, which the
// Functions host obtains with the app's user-assigned identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
// and which needs the Monitoring Metrics Publisher role on the component (app/rbac.bicep).

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param applicationInsightsName string

@description('Region of both resources.')
param location string

@description('Tags applied to both resources.')
param tags object = {}

@description('Days Log Analytics keeps data; 30 is included in the ingestion price, longer costs extra.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Refuse telemetry sent with the instrumentation key alone (Entra ID only).')
param disableLocalAuth bool = true

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
      disableLocalAuth: true
    }
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: disableLocalAuth
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

output logAnalyticsWorkspaceId string = workspace.id
output logAnalyticsWorkspaceName string = workspace.name
output applicationInsightsId string = appInsights.id
output applicationInsightsName string = appInsights.name
// The connection string names the component and its ingestion endpoint; with local auth disabled it
// grants nothing on its own, so it is an ordinary (non-secret) app setting.
output connectionString string = appInsights.properties.ConnectionString
