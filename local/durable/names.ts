/**
 * Table names for one task hub. Table names must be 3–63 alphanumeric characters starting with a
 * letter; the `Local` infix keeps them apart from the real Durable Task tables (`<hub>Instances`,
 * `<hub>History`) so Core Tools and this engine can share one Azurite without reading each other's rows.
 */
export interface HubTables {
  /** One partition per instance: state row, history pages, work items, inbound messages. */
  history: string;
  /** One row per instance, for list and purge queries across instances. */
  instances: string;
}

export function hubTables(hubName: string): HubTables {
  const clean = hubName.replace(/[^A-Za-z0-9]/g, '');
  if (!/^[A-Za-z]/.test(clean)) {
    throw new Error(`Task hub name "${hubName}" must start with a letter and contain letters or digits`);
  }
  const stem = clean.slice(0, 45);
  return { history: `${stem}LocalHistory`, instances: `${stem}LocalInstances` };
}
