import { nowMs } from '../clock';
import { odata } from '../sdk/data-tables';
import type { AccuracyView } from './api-schemas';
import type { RoutingDeps } from './config';

const DAY_MS = 86_400_000;

type Method = keyof AccuracyView['byMethod'];

/**
 * Routing accuracy over the last `days` days (docs/routing.md, "Accuracy"):
 *
 *   accuracy = (routed − overridden) / routed
 *
 * where `routed` counts tickets routing itself decided (client link, rule or default) in the
 * window, by when routing decided, and `overridden` counts those a person later moved to a team
 * other than the routed one. Tickets only ever assigned by hand are not routing's answers and are
 * in neither count; a reassignment to the routed team (a confirmation) is not an override.
 */
export async function routingAccuracy(deps: RoutingDeps, tenantId: string, days: number): Promise<AccuracyView> {
  const to = nowMs();
  const from = to - days * DAY_MS;
  const fromIso = new Date(from).toISOString();
  const byMethod: AccuracyView['byMethod'] = {
    client_link: { routed: 0, overridden: 0 },
    rule: { routed: 0, overridden: 0 },
    default: { routed: 0, overridden: 0 },
  };
  // ISO instants of one format compare as strings, so the window is a filter inside the partition.
  for await (const row of deps.tables.decisions.iterate(tenantId, { filter: odata`routedAt ge ${fromIso}` })) {
    const method = row.value.routedBy;
    if (method === undefined || method === 'manual' || row.value.routedAt === undefined) continue;
    if (Date.parse(row.value.routedAt) > to) continue;
    const counts = byMethod[method as Method];
    counts.routed++;
    if (row.value.overridden) counts.overridden++;
  }
  const routed = byMethod.client_link.routed + byMethod.rule.routed + byMethod.default.routed;
  const overridden = byMethod.client_link.overridden + byMethod.rule.overridden + byMethod.default.overridden;
  return {
    days,
    from: fromIso,
    to: new Date(to).toISOString(),
    routed,
    overridden,
    accuracy: routed === 0 ? null : (routed - overridden) / routed,
    byMethod,
  };
}
