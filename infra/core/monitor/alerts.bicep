// The alerts an operations team needs from the first day, all sent to one action group:
// - failures piling up: a `<queue>-deadletter` companion queue holding messages for 15 minutes (its
//   consumer writes the Failure Analysis record and completes, so a standing depth means that consumer
//   is down or failing); ActiveMessages, because auto-forwarding keeps the stage queues' own
//   dead-letter counts near zero;
// - failures lost: anything in a companion's own dead-letter sub-queue (expired or poison failure
//   records, which nothing else reads);
// - the Functions failure rate over a threshold, from the per-function counts that host.json's
//   Host.Aggregator logger writes (customMetrics `<function> Count` / `<function> Failures`);
// - `/api/healthz` unreachable or unhealthy from several regions (standard availability test);
// - Service Bus throttling, server errors and user errors (a lost role assignment shows up there);
// - capacity: a queue nearing its size limit (a full queue rejects every send) and a standing backlog
//   on a queue a function is triggered by;
// - Key Vault refusing the app (401/403) or failing requests;
// - Durable Functions orchestrations that failed (outbound deliveries).
// Thresholds are parameters; docs/deploy.md lists them, the metric reference for each, and what to
// do when each fires. The `health-probe-deadletter` companion is left out of the dead-letter alerts on
// purpose: nothing consumes it (a probe is re-sent by the next timer anyway), so its depth would never
// clear; the size alert still watches it.

@description('Prefix for the alert rule names (the resource token keeps them unique per environment).')
param namePrefix string

@description('Region of the availability test and the log alert rule (metric alerts and the action group are global).')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Email address that receives every alert.')
@minLength(3)
param alertEmail string

@description('Service Bus namespace the pipeline runs on.')
param serviceBusName string

@description('The `<queue>-deadletter` companion queues a function consumes (failure records).')
param deadLetterQueueNames array

@description('Queues a function is triggered by: their standing backlog raises `queue-backlog`.')
param triggeredQueueNames array

@description('Every queue of the namespace (stage queues, health-probe, companions): their size raises `queue-size`.')
param allQueueNames array

@description('Size limit of each queue in MB (service-bus.bicep).')
param queueMaxSizeInMegabytes int

@description('Share of a queue\'s size limit, in percent, that raises `queue-size`.')
@minValue(1)
@maxValue(99)
param queueSizeAlertPercent int = 80

@description('Active messages a triggered queue must hold for 15 minutes (its minimum over the window) to raise `queue-backlog`.')
@minValue(1)
param queueBacklogThreshold int = 1000

@description('Service Bus user errors in 15 minutes that raise an alert (unauthorized or missing entity: usually a lost role assignment).')
@minValue(1)
param serviceBusUserErrorsThreshold int = 10

@description('Key Vault holding the app\'s secrets.')
param keyVaultName string

@description('Key Vault availability, in percent over 15 minutes, below which an alert is raised.')
@minValue(1)
@maxValue(100)
param keyVaultAvailabilityPercent int = 99

@description('Failed Durable Functions orchestrations in 15 minutes that raise an alert.')
@minValue(1)
param durableFailuresThreshold int = 1

@description('Application Insights component the function app reports to.')
param applicationInsightsName string

@description('Base URL of the function app (https://<host>), without a trailing slash.')
param appBaseUrl string

@description('Function failures, in percent of executions over 15 minutes, that raise an alert.')
@minValue(1)
@maxValue(100)
param functionFailureRatePercent int = 5

@description('Fewest executions in 15 minutes for the failure rate to count (a single failure in a quiet hour is no rate).')
@minValue(1)
param functionFailureMinExecutions int = 20

@description('Throttled Service Bus requests in 15 minutes that raise an alert.')
@minValue(1)
param serviceBusThrottledRequestsThreshold int = 10

@description('Service Bus server errors in 15 minutes that raise an alert.')
@minValue(1)
param serviceBusServerErrorsThreshold int = 5

@description('Availability test locations (ids of the Azure test agents); five spread over regions is the recommended minimum.')
param availabilityLocations array = [
  'us-va-ash-azr'
  'us-ca-sjc-azr'
  'emea-nl-ams-azr'
  'emea-gb-db3-azr'
  'apac-sg-sin-azr'
]

@description('Locations that must fail at once before the availability alert fires.')
@minValue(1)
param availabilityFailedLocations int = 2

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

var emailReceiver = {
  name: 'ops-email'
  emailAddress: alertEmail
  useCommonAlertSchema: true
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${namePrefix}'
  location: 'global'
  tags: tags
  properties: {
    // Shown as the sender of SMS and email; at most 12 characters.
    groupShortName: 'msphub-ops'
    enabled: true
    emailReceivers: [
      emailReceiver
    ]
  }
}

var actions = [
  {
    actionGroupId: actionGroup.id
  }
]

// ---- Service Bus ----

resource deadLetterDepth 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-deadletter-depth'
  location: 'global'
  tags: tags
  properties: {
    description: 'A <queue>-deadletter companion queue has held messages for 15 minutes: failures are not being recorded (its consumer is down or failing). See docs/deploy.md, Alerts.'
    severity: 2
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'companion-active-messages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ActiveMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: deadLetterQueueNames
            }
          ]
          // The smallest depth seen in the window: above zero means it never drained for 15 minutes.
          timeAggregation: 'Minimum'
          operator: 'GreaterThan'
          threshold: 0
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource lostFailures 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-deadletter-lost'
  location: 'global'
  tags: tags
  properties: {
    description: 'A failure record reached the dead-letter sub-queue of a <queue>-deadletter companion (expired unread, or its consumer kept crashing). Nothing processes it there; inspect and resubmit by hand. See docs/deploy.md, Alerts.'
    severity: 1
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'companion-dead-lettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: deadLetterQueueNames
            }
          ]
          timeAggregation: 'Maximum'
          operator: 'GreaterThan'
          threshold: 0
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource serviceBusThrottling 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-servicebus-throttled'
  location: 'global'
  tags: tags
  properties: {
    description: 'Service Bus throttled requests of the hub (Standard tier credit limits); stages slow down and retries pile up.'
    severity: 2
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'throttled-requests'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ThrottledRequests'
          timeAggregation: 'Total'
          operator: 'GreaterThan'
          threshold: serviceBusThrottledRequestsThreshold
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource serviceBusServerErrors 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-servicebus-server-errors'
  location: 'global'
  tags: tags
  properties: {
    description: 'Service Bus answered requests of the hub with server errors; check Azure status for the region.'
    severity: 2
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'server-errors'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ServerErrors'
          timeAggregation: 'Total'
          operator: 'GreaterThan'
          threshold: serviceBusServerErrorsThreshold
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource serviceBusUserErrors 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-servicebus-user-errors'
  location: 'global'
  tags: tags
  properties: {
    description: 'Service Bus refused requests of the hub as the caller\'s fault: unauthorized (a role assignment of the app identity was removed) or an entity that does not exist. See docs/deploy.md, Alerts.'
    severity: 1
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'user-errors'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'UserErrors'
          timeAggregation: 'Total'
          operator: 'GreaterThan'
          threshold: serviceBusUserErrorsThreshold
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// ---- Capacity ----

// Size is reported in bytes; the limit is per queue.
var queueSizeThresholdBytes = queueMaxSizeInMegabytes * 1024 * 1024 / 100 * queueSizeAlertPercent

resource queueSize 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-queue-size'
  location: 'global'
  tags: tags
  properties: {
    description: 'A Service Bus queue is nearing its size limit; when full it rejects every send and that stage stops. Find the stalled consumer or the flood. See docs/deploy.md, Alerts.'
    severity: 1
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'queue-size'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'Size'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: allQueueNames
            }
          ]
          timeAggregation: 'Maximum'
          operator: 'GreaterThan'
          threshold: queueSizeThresholdBytes
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource queueBacklog 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-queue-backlog'
  location: 'global'
  tags: tags
  properties: {
    description: 'A queue a function is triggered by has held more than the threshold of active messages for 15 minutes: the app is not keeping up (scale-out capped, a stage failing slowly, a vendor throttling). See docs/deploy.md, Alerts.'
    severity: 2
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'queue-backlog'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ActiveMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: triggeredQueueNames
            }
          ]
          // The smallest depth in the window: the backlog never fell below the threshold.
          timeAggregation: 'Minimum'
          operator: 'GreaterThan'
          threshold: queueBacklogThreshold
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// ---- Key Vault ----

resource keyVaultRefused 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-keyvault-refused'
  location: 'global'
  tags: tags
  properties: {
    description: 'Key Vault answered 401 or 403: the app identity lost Key Vault Secrets User, or the vault firewall refuses it. The app cannot read its keys. See docs/deploy.md, Alerts.'
    severity: 1
    enabled: true
    scopes: [
      keyVault.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'refused-requests'
          metricNamespace: 'Microsoft.KeyVault/vaults'
          metricName: 'ServiceApiResult'
          dimensions: [
            {
              name: 'StatusCode'
              operator: 'Include'
              values: [
                '401'
                '403'
              ]
            }
          ]
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource keyVaultAvailability 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-keyvault-availability'
  location: 'global'
  tags: tags
  properties: {
    description: 'Key Vault failed requests (availability below the threshold over 15 minutes); the app cannot start or read its keys while it lasts. Check Azure status for the region.'
    severity: 2
    enabled: true
    scopes: [
      keyVault.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'availability'
          metricNamespace: 'Microsoft.KeyVault/vaults'
          metricName: 'Availability'
          timeAggregation: 'Average'
          operator: 'LessThan'
          threshold: keyVaultAvailabilityPercent
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// ---- Functions ----

// Host.Aggregator (host.json, Information) writes per function and per flush `<name> Count`,
// `<name> Successes` and `<name> Failures` to customMetrics; they are pre-aggregated, so sampling
// never thins them. valueSum is the count for the flush period.
var failureRateQuery = '''
customMetrics
| where name endswith " Count" or name endswith " Failures"
| summarize
    executions = sumif(valueSum, name endswith " Count"),
    failures = sumif(valueSum, name endswith " Failures")
| where executions >= {0}
| extend failureRatePercent = 100.0 * failures / executions
| project failureRatePercent, failures, executions
'''

resource functionFailureRate 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-function-failure-rate'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Function failure rate'
    description: 'More than the threshold share of function executions failed over 15 minutes (all functions together). Open Application Insights, Failures, to see which.'
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
          query: format(failureRateQuery, functionFailureMinExecutions)
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'failureRatePercent'
          operator: 'GreaterThan'
          threshold: functionFailureRatePercent
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// The Durable Functions extension writes one tracking trace per orchestration state change to the
// component's `traces` (category Host.Triggers.DurableTask, state in customDimensions.prop__state);
// a Failed orchestrator is a delivery that ended on an unhandled error (docs/outbound.md). host.json
// samples traces, so under heavy load a single failure can be missed; the delivery records stay the
// source of truth.
var durableFailuresQuery = '''
traces
| where tostring(customDimensions.Category) == "Host.Triggers.DurableTask"
| where tostring(customDimensions.prop__state) == "Failed"
| where tostring(customDimensions.prop__functionType) == "Orchestrator"
| summarize failures = count()
'''

resource durableFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-durable-failures'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Durable orchestrations failed'
    description: 'Durable Functions orchestrations (outbound deliveries) failed in the last 15 minutes. Application Insights, traces, category Host.Triggers.DurableTask, state Failed: the instance id names the delivery. See docs/deploy.md, Alerts.'
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
          query: durableFailuresQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'failures'
          operator: 'GreaterThanOrEqual'
          threshold: durableFailuresThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// ---- Availability ----

var healthUrl = '${appBaseUrl}/api/healthz'

// A standard test: GET /api/healthz every 5 minutes from each location, healthy only on 200 (the
// endpoint answers 503 when storage is unreachable) and with a certificate valid for a week more.
resource healthzTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webtest-${namePrefix}-healthz'
  location: location
  // Availability tests are linked to their component by this tag; without it the portal and the
  // alert below cannot find the results.
  tags: union(tags, {
    'hidden-link:${applicationInsights.id}': 'Resource'
  })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webtest-${namePrefix}-healthz'
    Name: 'healthz'
    Description: 'GET /api/healthz must answer 200.'
    Enabled: true
    Frequency: 300
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: true
    Locations: [for locationId in availabilityLocations: {
      Id: locationId
    }]
    Request: {
      RequestUrl: healthUrl
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource healthzAvailability 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-healthz-availability'
  location: 'global'
  tags: tags
  properties: {
    description: '/api/healthz failed from several test locations at once: the app is down, or storage is unreachable.'
    severity: 1
    enabled: true
    scopes: [
      healthzTest.id
      applicationInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthzTest.id
      componentId: applicationInsights.id
      failedLocationCount: availabilityFailedLocations
    }
    autoMitigate: true
    actions: actions
  }
}

output actionGroupId string = actionGroup.id
output healthzTestId string = healthzTest.id
