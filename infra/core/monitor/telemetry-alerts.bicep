// Alerts on what the app itself reports (shared/observability/telemetry-names.ts; docs/telemetry.md),
// beside the workbook, sent to the action group of alerts.bicep. Each fires once per tenant or
// integration (the query's dimensions split it), so one bad integration does not hide another:
// - an integration whose last settled probe state is `needs_attention` (credentials refused,
//   permissions missing: someone has to act);
// - a flapping integration: its probe state changed at least `flappingChanges` times in an hour
//   (shared/health counts three as flapping);
// - a tenant whose outbound webhook attempts failed above a share over 15 minutes.
// test/unit/infra-workbook.test.ts checks the names these queries use against the names module.

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

@description('Probe state changes within one hour that make an integration flapping.')
@minValue(2)
param flappingChanges int = 3

@description('Outbound delivery attempts of a tenant failing, in percent over 15 minutes, that raise an alert.')
@minValue(1)
@maxValue(100)
param outboundFailureRatePercent int = 20

@description('Fewest outbound attempts of a tenant in 15 minutes for its failure rate to count.')
@minValue(1)
param outboundFailureMinAttempts int = 10

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The last state change within the window names the state an integration is in now; a probe that
// stays in needs_attention emits no new change, so the window reaches back a day.
var needsAttentionQuery = '''
customMetrics
| where name == "hub_probe_state_changes"
| extend tenantId = tostring(customDimensions.tenantId), integrationId = tostring(customDimensions.integrationId),
    toState = tostring(customDimensions.toState)
| summarize arg_max(timestamp, toState) by tenantId, integrationId
| where toState == "needs_attention"
| summarize integrations = count() by tenantId, integrationId
'''

var flappingQuery = '''
customMetrics
| where name == "hub_probe_state_changes"
| extend tenantId = tostring(customDimensions.tenantId), integrationId = tostring(customDimensions.integrationId)
| summarize changes = sum(valueSum) by tenantId, integrationId
'''

var outboundFailureQuery = '''
customMetrics
| where name == "hub_delivery_outcomes"
| extend tenantId = tostring(customDimensions.tenantId), outcome = tostring(customDimensions.outcome)
| summarize failed = sumif(valueSum, outcome == "failed"), attempts = sum(valueSum) by tenantId
| where attempts >= {0}
| extend failureRatePercent = 100.0 * failed / attempts
'''

var actions = {
  actionGroups: [
    actionGroupId
  ]
}

resource needsAttention 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-integration-needs-attention'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Integration needs attention'
    description: 'An integration\'s probe settled in needs_attention (credentials refused, permissions missing): the tenant has to fix it. The dimensions name the tenant and integration. See docs/deploy.md, Alerts.'
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
          query: needsAttentionQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'integrations'
          dimensions: [
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
          ]
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

resource flapping 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-integration-flapping'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Integration flapping'
    description: 'An integration\'s probe state changed repeatedly within an hour: the vendor is unstable or a limit is being hit. See docs/deploy.md, Alerts.'
    severity: 3
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: flappingQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'changes'
          dimensions: [
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
          ]
          operator: 'GreaterThanOrEqual'
          threshold: flappingChanges
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

resource outboundFailureRate 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-outbound-failure-rate'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Outbound webhook failure rate per tenant'
    description: 'More than the threshold share of a tenant\'s outbound webhook attempts failed over 15 minutes: a subscriber endpoint is down or refusing. The tenantId dimension names the tenant; its deliveries list the subscriptions. See docs/deploy.md, Alerts.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: format(outboundFailureQuery, outboundFailureMinAttempts)
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'failureRatePercent'
          dimensions: [
            {
              name: 'tenantId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: outboundFailureRatePercent
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
