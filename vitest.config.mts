import { defineConfig } from 'vitest/config';

/**
 * Three tiers (docs/testing.md). `unit` needs nothing outside the process: no Azurite, no dist/, no
 * Python, no network, so it has no global setup. `integration` and `e2e` share one global setup
 * (one build of dist/ and one in-memory Azurite for the whole run, however many of the two run).
 */
const azuriteAndBuild = ['test/support/global-setup.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel on two workers; each file starts what it needs.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    projects: [
      {
        extends: true,
        // No storage here: a unit test that reaches for the suite's Azurite fails loudly instead of
        // passing only when another tier happened to start one.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env: { TEST_STORAGE_CONNECTION: '' } },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: azuriteAndBuild },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: azuriteAndBuild } },
    ],
  },
});
