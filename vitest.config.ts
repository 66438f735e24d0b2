import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    testTimeout: 30_000,
    // Plain output everywhere: golden files and assertions compare text, not colour codes.
    env: { NO_COLOR: "1", FORCE_COLOR: "0" },
  },
});
