// Service Bus namespace carrying the pipeline stages (docs/design.md §3.1, §6, §6.4, §6.5). Local (SAS) auth is
// off: the app and people reach it with Microsoft Entra ID only. Every queue gets the same settings:
// - duplicate detection on the message id, so a re-sent copy of one step
//   (`{eventId}:{stage}:{step}:{attempt}`) is dropped and the next stage never is. The window must
//   outlast the longest redelivery span plus the longest planned-retry delay (main.bicep says why;
//   test/unit/infra-posture.test.ts checks it against host.json and the retry code);
// - maxDeliveryCount from main.bicep (the same number the app reads as QUEUE_MAX_DELIVERY_COUNT),
//   catching crashes and poison messages; planned retries are re-sends, not redeliveries;
// - expired messages go to a dead-letter sub-queue instead of vanishing, on the companion
//   `<queue>-deadletter` queues too, whose own dead-letter sub-queue is watched by an alert
//   (core/monitor/alerts.bicep): a failure record never disappears silently.
// - the largest size the tier allows (Standard 5 GB, Premium 80 GB), so a backlog has room while the
//   `queue-size` and `queue-backlog` alerts (core/monitor/alerts.bicep) call for attention; a full
//   queue rejects every send (QuotaExceeded), which would stop the pipeline at that stage.
// Note: requiresDuplicateDetection cannot be changed on an existing queue; changing it means a new
// queue name. The window itself can be changed in place.

@description('Namespace name: 6-50 letters, digits and hyphens, starting with a letter.')
@minLength(6)
@maxLength(50)
param name string

@description('Region of the namespace.')
param location string

@description('Tags applied to the namespace.')
param tags object = {}

@description('Queues to create.')
param queueNames array

@description('Deliveries before a message is moved to the dead-letter sub-queue.')
@minValue(1)
@maxValue(2000)
param maxDeliveryCount int

@description('Peek-lock duration (ISO 8601, at most PT5M).')
param lockDuration string = 'PT1M'

@description('Window in which a second message with the same id is dropped (ISO 8601, at most P7D).')
param duplicateDetectionWindow string

@description('Log Analytics workspace that receives the namespace\'s OperationalLogs; empty sends none.')
param logAnalyticsWorkspaceId string = ''

@description('How long an unreceived message lives before it is dead-lettered (ISO 8601).')
param messageTimeToLive string = 'P14D'

@description('Standard, or Premium (dedicated capacity; the only tier with private endpoints and 80 GB queues).')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Refuse traffic from the internet (Premium only: private endpoints are the way in).')
param publicNetworkAccess bool = true

// The largest queue each tier takes (Standard: 1-5 GB; Premium: up to 80 GB per queue).
var maxSizeInMegabytes = skuName == 'Premium' ? 81920 : 5120

// Premium is sold in messaging units; one is the smallest. Standard takes no capacity.
var sku = skuName == 'Premium'
  ? {
      name: 'Premium'
      tier: 'Premium'
      capacity: 1
    }
  : {
      name: 'Standard'
      tier: 'Standard'
    }

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: sku
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
  }
}

// Each stage queue has a companion `<queue>-deadletter` queue. Explicit dead-letters (a reason and
// description chosen by the handler) are sent there by the app, because the Node worker cannot
// settle a message with a reason; the built-in dead-letter sub-queue (MaxDeliveryCountExceeded,
// expiry) is auto-forwarded there too, so one consumer per queue sees every failure (docs/bus.md).
// A failure that sits unread until its time to live, or whose consumer keeps crashing, lands in the
// companion's own dead-letter sub-queue (not forwarded further), where the alert module looks.
resource deadLetterQueues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for queueName in queueNames: {
  parent: namespace
  name: '${queueName}-deadletter'
  properties: {
    lockDuration: lockDuration
    maxDeliveryCount: maxDeliveryCount
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: messageTimeToLive
    requiresSession: false
    enableBatchedOperations: true
    maxSizeInMegabytes: maxSizeInMegabytes
  }
}]

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for (queueName, i) in queueNames: {
  parent: namespace
  name: queueName
  properties: {
    lockDuration: lockDuration
    maxDeliveryCount: maxDeliveryCount
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    deadLetteringOnMessageExpiration: true
    forwardDeadLetteredMessagesTo: deadLetterQueues[i].name
    defaultMessageTimeToLive: messageTimeToLive
    requiresSession: false
    enableBatchedOperations: true
    maxSizeInMegabytes: maxSizeInMegabytes
  }
}]

// Namespace operations (queue created, changed, deleted) and who did them.
resource namespaceDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'OperationalLogs'
        enabled: true
      }
    ]
  }
}

output id string = namespace.id
output name string = namespace.name
output deadLetterQueueNames array = [for (queueName, i) in queueNames: deadLetterQueues[i].name]
output maxSizeInMegabytes int = maxSizeInMegabytes
output skuName string = skuName
// <namespace>.servicebus.windows.net (or a sovereign cloud's equivalent) without scheme or port,
// taken from the endpoint Azure reports (https://<host>:443/).
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
