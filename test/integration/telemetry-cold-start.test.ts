import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadReport } from '../../bench/cold-start/load-once';
import { ROOT } from '../support/host-process';

/**
 * Registering the built app loads no OpenTelemetry package, even with a connection string set: the
 * SDK loads on the first emit (docs/telemetry.md; cold start, docs/decisions.md §38).
 */
const CONNECTION = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/';

describe('cold start', () => {
  it('registering the app with a connection string set loads no OpenTelemetry package', () => {
    const entries = readdirSync(join(ROOT, 'dist', 'functions'))
      .filter((name) => name.endsWith('.js'))
      .map((name) => join(ROOT, 'dist', 'functions', name));
    const child = spawnSync(process.execPath, [join(ROOT, 'dist/bench/cold-start/load-once.js'), ...entries], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION },
    });
    expect(child.status, child.stderr).toBe(0);
    const report = JSON.parse(child.stdout) as LoadReport;
    // Sanity: the load registered the app (packages lists what it pulled in beyond the host shim).
    expect(report.functions).toBeGreaterThan(10);
    expect(report.packages.filter((p) => p.includes('opentelemetry'))).toEqual([]);
  });
});
