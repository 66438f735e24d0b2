import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The exactness harness (one small file per API mode) runs for minutes: started first, one per
 * worker, while the other suites share what is left. Without a cache (a fresh clone: CI) vitest
 * starts large files first, and these two tiny ones would start last and run alone at the end.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const long = (f: TestSpecification) => /exactness-[a-z]+\.test\.ts$/.test(f.moduleId);
    return [...sorted.filter(long), ...sorted.filter((f) => !long(f))];
  }
}

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    // Generous: two suites side by side on two cores slow each other down (an integration test of
    // many CLI runs took 30 s once); a hang still fails.
    testTimeout: 90_000,
    // The integration suites mostly wait on the engine and on spawned CLIs: at least two files at
    // a time, even on a 2-core machine (vitest's default there is one). Each worker has its own host-port
    // range (test/support/local-platform.ts), so suites side by side never compete for ports.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongestFirst },
    // Tearing down a platform removes every container it started: more than vitest's default 10 s.
    hookTimeout: 120_000,
    // Plain output everywhere: golden files and assertions compare text, not colour codes.
    // A one-second stability window after each rollout (svc apply --stable-for, default 10 s): every
    // apply in the suites still watches its containers stay up, without ten seconds each; the
    // verdict tests set the window they test.
    env: { NO_COLOR: "1", FORCE_COLOR: "0", SVC_STABLE_FOR: "1" },
  },
});
