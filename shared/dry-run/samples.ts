/**
 * One example payload per source, for `POST /api/v1/webhooks/{id}/test` without a payload: each
 * in the shape that vendor's webhook posts (docs/vendors.md; the fakes in test/fakes send the
 * same shapes) and one the validation stage reads, so a dry run shows a whole pass through the
 * pipeline before the vendor has sent anything. Ids are obviously made up; nothing here is a secret.
 */
const SAMPLES: Record<string, unknown> = {
  autotask: {
    Action: 'Create',
    Guid: '00000000-0000-4000-8000-000000000001',
    EntityType: 'Ticket',
    Id: 1001,
    SequenceNumber: 1,
    EventTime: '2025-01-01T09:00:00Z',
    Fields: { Title: 'Sample: disk_full on SRV-01', Priority: 1, CompanyID: 174, Status: 1 },
  },
  halopsa: {
    event: 'New Ticket Logged',
    ticket: { id: 2001, summary: 'Sample: printer offline', priority_name: 'High', client_id: 12, site_id: 3 },
  },
  'datto-rmm': {
    alertUid: 'sample-alert-0001',
    alertMessage: 'Sample: disk usage above 95% on C:',
    alertType: 'disk_usage',
    priority: 'High',
    deviceUid: 'sample-device-0001',
    hostname: 'SRV-01',
    siteUid: 'sample-site-0001',
  },
  'datto-edr': {
    id: 'sample-edr-alert-0001',
    name: 'Sample: suspicious PowerShell',
    severity: 'High',
    agentId: 'sample-agent-0001',
    hostname: 'WKS-07',
  },
  microsoft365: {
    value: [
      {
        changeType: 'updated',
        resource: 'users/00000000-0000-4000-8000-000000000002',
        subscriptionId: '00000000-0000-4000-8000-000000000003',
        tenantId: '00000000-0000-4000-8000-000000000004',
        resourceData: { id: '00000000-0000-4000-8000-000000000002' },
      },
    ],
  },
  pax8: {
    accountId: 'sample-account-0001',
    url: 'https://example.invalid/api/hooks/sample',
    webhookId: 'sample-webhook-0001',
    sentAt: '2025-01-01T09:00:00Z',
    webhookTopic: { id: 'sample-topic-0001', topic: 'SUBSCRIPTION_CREATED', filters: [] },
    payloadData: { subscriptionId: 'sample-subscription-0001', quantity: 5 },
  },
};

/** Generic senders (and UniFi, IT Glue) use the hub's own signed shape (docs/webhooks-receiving.md). */
function genericSample(source: string): unknown {
  return {
    type: 'alert.triggered',
    subject: `Sample: ${source} event`,
    severity: 'medium',
    entities: { deviceId: 'sample-device-0001' },
    data: { note: 'a sample payload built by the dry run' },
  };
}

export function samplePayload(source: string): unknown {
  return Object.hasOwn(SAMPLES, source) ? structuredClone(SAMPLES[source]) : genericSample(source);
}
