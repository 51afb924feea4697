import { join } from 'node:path';
import type { IConfiguration, ICruiseOptions, ICruiseResult } from 'dependency-cruiser';
import { cruise } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/host-process';

/**
 * The map in docs/architecture.md ("Where it goes"), enforced: .dependency-cruiser.cjs holds the
 * rules, this test runs them on the real tree, and runs them once on a fixture with a known set of
 * offending files to show that a broken rule does fail the suite.
 */
interface Finding {
  rule: string;
  from: string;
  to: string;
}

const config = require(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

async function cruiseTree(baseDir: string): Promise<ICruiseResult> {
  const { options, ...ruleSet } = config;
  const cruiseOptions: ICruiseOptions = { ...options, ruleSet, validate: true, baseDir };
  const { output } = await cruise(['functions', 'shared', 'local'], cruiseOptions);
  if (typeof output === 'string') throw new Error(`expected a cruise result, got a report: ${output}`);
  return output;
}

/**
 * "Code only the local host runs lives in local/": a shared/ module whose every importer is in
 * local/ (tests and benches do not count, they are not cruised). dependency-cruiser's rules can
 * say "has fewer than N dependents" but not "all dependents are in local/", so this one is here.
 */
function localOnlyModules(result: ICruiseResult): Finding[] {
  return result.modules
    .filter((m) => m.source.startsWith('shared/'))
    .filter((m) => m.dependents.length > 0 && m.dependents.every((d) => d.startsWith('local/')))
    .map((m) => ({ rule: 'local-only-code-in-local', from: m.dependents.join(', '), to: m.source }));
}

function findings(result: ICruiseResult): Finding[] {
  const ruleViolations = result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
  return [...ruleViolations, ...localOnlyModules(result)].sort((a, b) =>
    `${a.rule} ${a.from}`.localeCompare(`${b.rule} ${b.from}`),
  );
}

describe('dependency rules', () => {
  it('hold for functions/, shared/ and local/', async () => {
    const result = await cruiseTree(ROOT);
    // Sanity: the cruise saw the tree (a wrong baseDir would pass vacuously).
    expect(result.modules.some((m) => m.source === 'shared/app/services.ts')).toBe(true);
    expect(findings(result)).toEqual([]);
  });

  it('fail on a fixture that breaks each rule, and only where it breaks them', async () => {
    const result = await cruiseTree(join(ROOT, 'test/fixtures/dependency-rules'));
    // The SDK resolves to wherever node_modules is; name it by package for the comparison.
    const found = findings(result).map((f) =>
      /node_modules\/@azure\/data-tables\//.test(f.to) ? { ...f, to: '@azure/data-tables' } : f,
    );
    expect(found).toEqual([
      {
        rule: 'capabilities-see-only-the-route-contract',
        from: 'shared/billing/uses-the-edge.ts',
        to: 'shared/api/route-handler.ts',
      },
      {
        rule: 'events-below-capabilities',
        from: 'shared/events/reaches-into-orders.ts',
        to: 'shared/orders/manage.ts',
      },
      { rule: 'local-only-code-in-local', from: 'local/dev-server.ts', to: 'shared/dev/only-for-local.ts' },
      // One report per cycle; the type-only cycle beside it (type-cycle-a/b) is not one.
      { rule: 'no-circular', from: 'shared/billing/cycle-a.ts', to: 'shared/billing/cycle-b.ts' },
      {
        rule: 'primitives-never-import-capabilities',
        from: 'shared/storage/reaches-up.ts',
        to: 'shared/orders/manage.ts',
      },
      { rule: 'route-heads-are-data', from: 'shared/billing/route-heads.ts', to: 'shared/orders/manage.ts' },
      { rule: 'sdk-loaded-on-first-use', from: 'shared/reports/eager-sdk.ts', to: '@azure/data-tables' },
      { rule: 'shared-below-entries', from: 'shared/billing/imports-an-entry.ts', to: 'functions/orders-api.ts' },
      { rule: 'shared-below-entries', from: 'shared/billing/imports-the-local-host.ts', to: 'local/dev-server.ts' },
      {
        rule: 'tables-stay-in-their-capability',
        from: 'shared/billing/reaches-into-orders-tables.ts',
        to: 'shared/orders/tables.ts',
      },
      { rule: 'verbs-take-their-deps', from: 'shared/billing/verb-calls-services.ts', to: 'shared/app/services.ts' },
    ]);
  });
});
