/**
 * Autotask's default ticket priority picklist (1 High, 2 Medium, 3 Low, 4 Critical) as the hub's
 * severity words. Webhook validation and synced-ticket routing both read it, so one routing rule
 * on `priority` serves tickets from either path.
 */
export const AUTOTASK_PRIORITY_SEVERITY: Readonly<Record<string, 'critical' | 'high' | 'medium' | 'low'>> = {
  '1': 'high',
  '2': 'medium',
  '3': 'low',
  '4': 'critical',
};
