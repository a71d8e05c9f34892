import { defineConfig } from 'vitest/config';

// `npm run mutate` (Stryker): the unit tests of the security and identity modules, fast enough to
// run once per mutant. The end-to-end suites run in `npm test`.
export default defineConfig({
  test: {
    include: [
      'test/web/**/*.test.ts',
      'test/rollouts/**/*.test.ts',
      'test/event/**/*.test.ts',
      'test/routing/**/*.test.ts',
      'test/ingest/**/*.test.ts',
      'test/aws/queue.test.ts',
      'test/delivery/once.test.ts',
      'test/delivery/record.test.ts',
      'test/delivery/record-edges.test.ts',
      'test/delivery/twice.test.ts',
      'test/delivery/quiet.test.ts',
      'test/ops/schedules.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
