import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ATTRIBUTE_NAMES,
  EVENT_NAMES,
  METRIC_NAMES,
  PROBE_STATES,
  SPAN_NAMES,
  TRANSACTION_OUTCOMES,
  TRANSACTION_TYPES,
} from '../../shared/observability/telemetry-names';
import { file, infraDir } from '../support/bicep-text';

/**
 * The workbook (infra/core/monitor/hub-workbook.json) and the telemetry alerts
 * (infra/core/monitor/telemetry-alerts.bicep) query names the app emits. A query naming a metric,
 * span, dimension or value the code does not emit would show an empty chart or never fire, and
 * nothing in Azure says so: this test reads every query and checks each name against the names
 * module the emitting code uses.
 */

const itemSchema = z.object({
  type: z.number(),
  name: z.string(),
  content: z.record(z.string(), z.unknown()),
});
const workbookSchema = z.object({
  version: z.literal('Notebook/1.0'),
  items: z.array(itemSchema),
  fallbackResourceIds: z.array(z.string()),
});
const queryContentSchema = z.object({
  version: z.literal('KqlItem/1.0'),
  query: z.string().min(1),
  queryType: z.literal(0),
  resourceType: z.literal('microsoft.insights/components'),
});

const workbookText = readFileSync(join(infraDir, 'core', 'monitor', 'hub-workbook.json'), 'utf8');
const workbook = workbookSchema.parse(JSON.parse(workbookText));
const workbookQueries = workbook.items
  .filter((item) => item.type === 3)
  .map((item) => ({ where: `workbook item ${item.name}`, query: queryContentSchema.parse(item.content).query }));

const alertsFile = file('core/monitor/telemetry-alerts.bicep');
const alertsText = readFileSync(join(infraDir, 'core', 'monitor', 'telemetry-alerts.bicep'), 'utf8');
const alertQueries = [...alertsText.matchAll(/^var (\w+Query) = '''\n([\s\S]*?)'''/gm)].map((m) => ({
  where: `telemetry-alerts.bicep ${m[1]}`,
  query: m[2]!,
}));

const allQueries = [...workbookQueries, ...alertQueries];

const metricNames = new Set<string>(Object.values(METRIC_NAMES));
/** Events are internal spans (`dependencies` rows), queried by name like any span. */
const spanNames = new Set<string>([...Object.values(SPAN_NAMES), ...Object.values(EVENT_NAMES)]);
const attributeNames = new Set<string>(Object.values(ATTRIBUTE_NAMES));
/** The values a query may compare a dimension with, where the code fixes them. */
const knownValues: Record<string, ReadonlySet<string>> = {
  transactionType: new Set(TRANSACTION_TYPES),
  outcome: new Set(TRANSACTION_OUTCOMES),
  toState: new Set(PROBE_STATES),
  fromState: new Set(PROBE_STATES),
};
/** Application Insights tables OpenTelemetry spans and metrics land in. */
const TABLES = ['customMetrics', 'requests', 'dependencies'];
const OTHER_TABLES = [
  'traces',
  'customEvents',
  'exceptions',
  'pageViews',
  'availabilityResults',
  'performanceCounters',
];

describe('the workbook and telemetry alerts query only what the code emits', () => {
  it('has queries to check (workbook items and the three alerts)', () => {
    expect(workbookQueries.length).toBeGreaterThanOrEqual(8);
    expect(alertQueries.map((q) => q.where)).toEqual([
      'telemetry-alerts.bicep needsAttentionQuery',
      'telemetry-alerts.bicep flappingQuery',
      'telemetry-alerts.bicep outboundFailureQuery',
    ]);
  });

  it.each(allQueries)('$where names only emitted metrics and spans', ({ query }) => {
    const named = [...query.matchAll(/\bname == "([^"]+)"/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(metricNames.has(name) || spanNames.has(name), name).toBe(true);
    for (const table of OTHER_TABLES) expect(query, table).not.toMatch(new RegExp(`\\b${table}\\b`));
    expect(TABLES.some((table) => new RegExp(`\\b${table}\\b`).test(query))).toBe(true);
  });

  it.each(allQueries)('$where reads only emitted dimensions, compared with values the code uses', ({ query }) => {
    for (const [, key] of query.matchAll(/customDimensions\.(\w+)/g)) {
      expect(attributeNames.has(key!), `customDimensions.${key}`).toBe(true);
    }
    for (const [dimension, allowed] of Object.entries(knownValues)) {
      for (const [, value] of query.matchAll(new RegExp(`\\b${dimension} == "([^"]*)"`, 'g'))) {
        expect(allowed.has(value!), `${dimension} == "${value}"`).toBe(true);
      }
    }
  });

  it('offers exactly the transaction types the code emits for selection', () => {
    const parameters = workbook.items.find((item) => item.type === 9);
    const types = z
      .object({ parameters: z.array(z.object({ name: z.string(), jsonData: z.string().optional() })) })
      .parse(parameters?.content)
      .parameters.find((p) => p.name === 'Types');
    const values = z.array(z.object({ value: z.string() })).parse(JSON.parse(types?.jsonData ?? '[]'));
    expect(values.map((v) => v.value)).toEqual([...TRANSACTION_TYPES]);
  });

  it('has the dashboard views', () => {
    const names = workbook.items.map((item) => item.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'failures-by-type',
        'errors-by-code',
        'trends',
        'top-failing-integrations',
        'probe-states',
        'probe-attention',
        'delivery-success',
        'stage-backlog',
        'dead-lettered',
      ]),
    );
  });

  it('is deployed by main.bicep, linked to Application Insights, with its placeholders replaced', () => {
    const main = file('main.bicep');
    expect(main.code).toMatch(/^module workbook 'core\/monitor\/workbook\.bicep'/m);
    expect(main.code).toMatch(/^module telemetryAlerts 'core\/monitor\/telemetry-alerts\.bicep'/m);
    expect(main.code).toMatch(/actionGroupId: alerts\.outputs\.actionGroupId/);
    const module = file('core/monitor/workbook.bicep');
    expect(module.code).toMatch(/resource workbook 'Microsoft\.Insights\/workbooks@[\d-]+' = \{/);
    expect(module.code).toMatch(/kind: 'shared'/);
    expect(module.code).toMatch(/sourceId: toLower\(applicationInsights\.id\)/);
    for (const placeholder of ['__APPLICATION_INSIGHTS_ID__', '__SERVICE_BUS_ID__']) {
      expect(workbookText).toContain(placeholder);
      expect(module.code).toContain(`'${placeholder}'`);
    }
    expect(alertsFile.code).toMatch(/actionGroupId/);
  });
});
