import { defineConfig } from "vitest/config";

/**
 * Two groups: everything in parallel (2 workers), then, one file at a time, the tests that bound a
 * node's latency (public reads under a burst, answers during a Redis outage) or push it hardest
 * (the fuzz run), or depend on timing (lossy and slow clients), so other test files cannot steal
 * the 2 cores they measure.
 */
const TIMING = [
  "test/public-reads.e2e.test.ts",
  "test/redis-outage.e2e.test.ts",
  "test/fuzz.e2e.test.ts",
  // Timing-dependent by design: which frames a lossy line drops, and when kernel buffers fill.
  "test/sdk-lossy.e2e.test.ts",
  "test/slow-consumer.e2e.test.ts",
  // Clock estimates within 20 ms: a test file loading the 2 cores in parallel (the 10,000-win prize
  // test) adds event-loop delay to the round trips it measures (22.5 ms once in a clean run).
  "test/sdk-clock.e2e.test.ts",
  // A real client's connect time (< 1 s) during a 4,000-socket flood.
  "test/connections.e2e.test.ts",
];
const common = { testTimeout: 60_000, hookTimeout: 60_000, pool: "forks" as const };

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...common,
          name: "main",
          include: ["**/*.test.ts"],
          exclude: ["node_modules/**", "dist/**", "client-sdk/dist/**", "bench/**", ...TIMING],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: { ...common, name: "timing", include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
