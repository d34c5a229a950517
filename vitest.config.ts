import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and fault suites start processes and private redis-servers; running files in
    // parallel on a 2-core machine makes them flaky, so files run one at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
