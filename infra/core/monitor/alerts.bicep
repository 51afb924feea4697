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
// - Service Bus throttling and server errors on the namespace.
// Thresholds are parameters; docs/deploy.md lists them and what to do when each fires.

@description('Prefix for the alert rule names (the resource token keeps them unique per environment).')
param namePrefix string

@description('Region of the availability test and the log alert rule (metric alerts and the action group are global).')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Email address that receives every alert; empty creates the action group without receivers.')
param alertEmail string = ''

@description('Service Bus namespace the pipeline runs on.')
param serviceBusName string

@description('The `<queue>-deadletter` companion queues.')
param deadLetterQueueNames array

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
    emailReceivers: empty(alertEmail) ? [] : [emailReceiver]
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
