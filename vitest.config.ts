import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    testTimeout: 30_000,
    // Tearing down a platform removes every container it started: more than vitest's default 10 s.
    hookTimeout: 120_000,
    // Plain output everywhere: golden files and assertions compare text, not colour codes.
    env: { NO_COLOR: "1", FORCE_COLOR: "0" },
  },
});
