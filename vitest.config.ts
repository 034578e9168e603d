// Test runner configuration: every suite under test/, unit to e2e, in one `vitest run`.
// Unit, integration and infra files share their workers' module graph (isolate: false: each
// file used to pay about a second of fresh imports); e2e files stay isolated, because the local
// stack's handlers read their configuration when first imported (one stack per process), and so
// do `*.isolated.test.ts` files, whose subject is process-wide state (the Lambda InvokeStore
// singleton takes its mode from the first caller in the process).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/infra/**/*.test.ts'],
          exclude: ['test/**/*.isolated.test.ts'],
          isolate: false,
        },
      },
      { extends: true, test: { name: 'isolated', include: ['test/**/*.isolated.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
