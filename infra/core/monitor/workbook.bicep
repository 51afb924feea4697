// The hub's shared Azure Portal workbook: failures by type with the change against the previous
// period, errors by code, 30-day trends per type, top failing integrations, probe states and
// flapping, delivery success rate, replay guards, and Service Bus backlog and dead letters. Its
// queries read the telemetry the app emits (shared/observability/telemetry-names.ts; docs/telemetry.md);
// test/unit/infra-workbook.test.ts checks every name they use against that module.

@description('Region of the workbook resource.')
param location string

@description('Tags applied to the workbook.')
param tags object = {}

@description('Application Insights component the app reports to; the workbook is linked to it.')
param applicationInsightsName string

@description('Service Bus namespace whose queue metrics the backlog charts show.')
param serviceBusName string

@description('Title shown in the portal.')
param displayName string = 'MSP Integration Hub'

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusName
}

// The JSON is kept as the portal's editor writes it (Advanced Editor, Gallery Template); the two
// placeholders become this deployment's resource ids.
var serializedData = replace(
  replace(loadTextContent('hub-workbook.json'), '__APPLICATION_INSIGHTS_ID__', applicationInsights.id),
  '__SERVICE_BUS_ID__',
  serviceBus.id
)

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; derived from the component so a redeploy updates it in place.
  name: guid(applicationInsights.id, 'msp-hub-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    // The portal matches the linked resource case-insensitively but stores it lower-cased.
    sourceId: toLower(applicationInsights.id)
    serializedData: serializedData
    version: '1.0'
  }
}

output workbookId string = workbook.id
