import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Rebuilds dist/ first when it is missing or older than the sources (the CLI tests run dist/cli/main.js).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real registries and subprocesses: keep parallelism to the two cores CI has.
    maxWorkers: 2,
    // The JSON file lets .ci/run print a summary (failed tests, failed files, skipped tests) and fail CI on skips.
    reporters: ['default', ['json', { outputFile: 'tmp/vitest-results.json' }]],
  },
});
