// Alerts on sync runs (shared/sync; docs/sync-metrics.md), from the `hub event sync run finished`
// event every finished run emits (shared/observability/telemetry-names.ts), sent to the action group
// of alerts.bicep. Each fires per tenant, integration and entity set (the query's dimensions split
// it), so one failing sync does not hide another:
// - two consecutive failed runs of one integration and entity set (one failure can be a vendor
//   blip the next scheduled run rides over; two in a row means someone has to look);
// - a run whose data-quality warnings exceed `syncWarningThreshold`.
// test/unit/infra-workbook-sync.test.ts checks the names these queries use against the names module.

@description('Prefix for the alert rule names (the resource token keeps them unique per environment).')
param namePrefix string

@description('Region of the log alert rules.')
param location string

@description('Tags applied to every rule.')
param tags object = {}

@description('Application Insights component the app reports to.')
param applicationInsightsName string

@description('Action group every alert is sent to (alerts.bicep).')
param actionGroupId string

@description('Data-quality warnings of one sync run above which an alert is raised.')
@minValue(1)
param syncWarningThreshold int = 100

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The two newest finished runs of each integration and entity set in the window; both failed
// raises the alert, and the next run that does not fail resolves it.
var consecutiveFailuresQuery = '''
dependencies
| where name == "hub event sync run finished"
| extend tenantId = tostring(customDimensions.tenantId), integrationId = tostring(customDimensions.integrationId),
    entity = tostring(customDimensions.entity), outcome = tostring(customDimensions.outcome)
| sort by tenantId asc, integrationId asc, entity asc, timestamp desc
| extend position = row_number(1, prev(tenantId) != tenantId or prev(integrationId) != integrationId or prev(entity) != entity)
| where position <= 2
| summarize failedOfLastTwo = countif(outcome == "failed"), runs = count() by tenantId, integrationId, entity
| extend consecutiveFailures = iff(runs == 2 and failedOfLastTwo == 2, 1, 0)
'''

var dataQualityQuery = '''
dependencies
| where name == "hub event sync run finished"
| extend tenantId = tostring(customDimensions.tenantId), integrationId = tostring(customDimensions.integrationId),
    entity = tostring(customDimensions.entity), warnings = tolong(customDimensions.warnings)
| summarize warnings = max(warnings) by tenantId, integrationId, entity
'''

var actions = {
  actionGroups: [
    actionGroupId
  ]
}

var dimensions = [
  {
    name: 'tenantId'
    operator: 'Include'
    values: [
      '*'
    ]
  }
  {
    name: 'integrationId'
    operator: 'Include'
    values: [
      '*'
    ]
  }
  {
    name: 'entity'
    operator: 'Include'
    values: [
      '*'
    ]
  }
]

resource syncFailedTwice 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-sync-failed-twice'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Sync failed twice in a row'
    description: 'The two latest sync runs of one integration and entity set failed: the run errors (GET /api/v1/sync-runs?integrationId=…&status=failed) carry the error-catalog code. See docs/sync-metrics.md, Alerts.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'P1D'
    criteria: {
      allOf: [
        {
          query: consecutiveFailuresQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'consecutiveFailures'
          dimensions: dimensions
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource syncDataQuality 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-sync-data-quality'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Sync run with many data-quality warnings'
    description: 'A sync run finished with more data-quality warnings than the threshold (missing required fields, bad encoding, records without an id): the run\'s warnings name the fields and example vendor ids. See docs/sync-metrics.md, Alerts.'
    severity: 3
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: dataQualityQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'warnings'
          dimensions: dimensions
          operator: 'GreaterThan'
          threshold: syncWarningThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}
