import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Suites spawn real processes and worker threads on a 2-core machine, which may be loaded: tests
    // wait on state with deadlines of their own; these are only the backstop for a hung test.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
