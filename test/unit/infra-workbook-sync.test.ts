import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ATTRIBUTE_NAMES,
  EVENT_NAMES,
  METRIC_NAMES,
  SPAN_NAMES,
  TRANSACTION_OUTCOMES,
} from '../../shared/observability/telemetry-names';
import { file, infraDir } from '../support/bicep-text';

/**
 * The sync alerts (infra/core/monitor/sync-alerts.bicep) and the workbook's sync tiles query only
 * names the code emits (shared/observability/telemetry-names.ts): a misspelt name would make an
 * alert that never fires, and Azure would not say so. test/unit/infra-workbook.test.ts checks every
 * workbook query the same way; this one adds the sync alert file and what the sync tiles must show.
 */

const alertsText = readFileSync(join(infraDir, 'core', 'monitor', 'sync-alerts.bicep'), 'utf8');
const alertQueries = [...alertsText.matchAll(/^var (\w+Query) = '''\n([\s\S]*?)'''/gm)].map((m) => ({
  where: `sync-alerts.bicep ${m[1]}`,
  query: m[2]!,
}));

const workbook = z
  .object({
    items: z.array(z.object({ type: z.number(), name: z.string(), content: z.record(z.string(), z.unknown()) })),
  })
  .parse(JSON.parse(readFileSync(join(infraDir, 'core', 'monitor', 'hub-workbook.json'), 'utf8')));
const syncTiles = workbook.items
  .filter((item) => item.type === 3 && item.name.startsWith('sync-'))
  .map((item) => ({
    where: `workbook item ${item.name}`,
    query: z.object({ query: z.string() }).parse(item.content).query,
  }));

const emittedNames = new Set<string>([
  ...Object.values(METRIC_NAMES),
  ...Object.values(SPAN_NAMES),
  ...Object.values(EVENT_NAMES),
]);
const attributeNames = new Set<string>(Object.values(ATTRIBUTE_NAMES));
/** A sync run's outcome is its final status. */
const SYNC_OUTCOMES = new Set<string>([...TRANSACTION_OUTCOMES, 'stopped']);

describe('sync alerts and workbook tiles query only what the code emits', () => {
  it('has the two sync alerts and the three sync tiles', () => {
    expect(alertQueries.map((q) => q.where)).toEqual([
      'sync-alerts.bicep consecutiveFailuresQuery',
      'sync-alerts.bicep dataQualityQuery',
    ]);
    expect(syncTiles.map((t) => t.where)).toEqual([
      'workbook item sync-success',
      'workbook item sync-throughput',
      'workbook item sync-errors',
    ]);
  });

  it.each([...alertQueries, ...syncTiles])('$where names emitted metrics, events and dimensions only', ({ query }) => {
    const named = [...query.matchAll(/\bname == "([^"]+)"/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(emittedNames.has(name), name).toBe(true);
    expect(named.some((n) => n === METRIC_NAMES.syncRun || n === EVENT_NAMES.syncRunFinished)).toBe(true);
    for (const [, key] of query.matchAll(/customDimensions\.(\w+)/g))
      expect(attributeNames.has(key!), `customDimensions.${key}`).toBe(true);
    for (const [, value] of query.matchAll(/\boutcome == "([^"]*)"/g))
      expect(SYNC_OUTCOMES.has(value!), `outcome == "${value}"`).toBe(true);
  });

  it('splits each alert by tenant, integration and entity set, and the warning threshold is a parameter', () => {
    const bicep = file('core/monitor/sync-alerts.bicep');
    expect(bicep.code.match(/resource \w+ 'Microsoft\.Insights\/scheduledQueryRules@2023-12-01'/g)).toHaveLength(2);
    for (const dimension of ['tenantId', 'integrationId', 'entity'])
      expect(bicep.code).toContain(`name: '${dimension}'`);
    expect(bicep.code).toMatch(/^param syncWarningThreshold int = \d+$/m);
    expect(bicep.code).toMatch(/threshold: syncWarningThreshold/);
    expect(bicep.code).toMatch(/actionGroupId/);
    const main = file('main.bicep');
    expect(main.code).toMatch(/^module syncAlerts 'core\/monitor\/sync-alerts\.bicep'/m);
  });
});
