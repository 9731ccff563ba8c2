import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2-core machines: two forks keep the CPU busy without thrashing SQLite/onnxruntime.
    pool: 'forks',
    maxWorkers: 2,
  },
});
