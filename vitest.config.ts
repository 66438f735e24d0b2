import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    testTimeout: 30_000,
    // The integration suites mostly wait on the engine and on spawned CLIs: at least two files at
    // a time, even on a 2-core machine (vitest's default there is one). Each worker has its own host-port
    // range (test/support/local-platform.ts), so suites side by side never compete for ports.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Tearing down a platform removes every container it started: more than vitest's default 10 s.
    hookTimeout: 120_000,
    // Plain output everywhere: golden files and assertions compare text, not colour codes.
    env: { NO_COLOR: "1", FORCE_COLOR: "0" },
  },
});
