import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real registries and subprocesses: keep parallelism to the two cores CI has.
    maxWorkers: 2,
    // The JSON file lets .ci/run print a plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: 'tmp/vitest-results.json' }]],
  },
});
