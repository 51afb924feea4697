/** The five integration types every transaction is counted under (docs/dashboard.md). */
export const INTEGRATION_TYPES = [
  'inbound_webhook',
  'outbound_webhook',
  'prebuilt_integration',
  'custom_node',
  'custom_event',
] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];
