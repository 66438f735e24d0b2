import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { loadServices } from "../../src/manifest/load.js";
import { assemble, planService } from "../../src/plan/build.js";
import { fingerprintFor } from "../../src/plan/fingerprint.js";
import type { LiveState, Plan } from "../../src/plan/model.js";
import { repoRoot } from "./cli.js";

/** The golden cases: desired.yaml + live.json (+ secrets.json) in each directory. */
export const goldenRoot = join(repoRoot, "test/golden");
export const GOLDEN_NOW = Date.parse("2026-11-22T12:00:00.000Z");
/** Secret values the golden cases hold (secrets.json, live env, sensitive files): never in output. */
export const GOLDEN_SECRETS = ["s3cret-db-pass", "previous-pass"];

/** One golden case planned as svc would plan it, from a fixed time and repository. */
export function goldenPlan(dir: string, tokenSecret = "golden-token-secret"): Plan {
  const loaded = loadServices({ cwd: dir, files: ["desired.yaml"], vars: {} });
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const live = JSON.parse(readFileSync(join(dir, "live.json"), "utf8")) as LiveState;
  const secretsFile = join(dir, "secrets.json");
  const secrets = new Map<string, string>(
    existsSync(secretsFile) ? Object.entries(JSON.parse(readFileSync(secretsFile, "utf8"))) : [],
  );
  return assemble(
    [
      planService(
        // Where the manifest lives does not change the plan: one repository for every case.
        {
          ...(loaded.services[0] as NonNullable<(typeof loaded.services)[0]>),
          repository: "github.com/acme/shop",
        },
        live,
        { secrets, fingerprint: fingerprintFor(tokenSecret), now: GOLDEN_NOW },
      ),
    ],
    [],
    new Date(GOLDEN_NOW).toISOString(),
  );
}

/** Compares `content` with the golden file, or writes it with UPDATE_GOLDEN=1. */
export function expectGolden(path: string, content: string): void {
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) {
    if (process.env.UPDATE_GOLDEN !== "1")
      throw new Error(
        `${path} is missing: run UPDATE_GOLDEN=1 npx vitest run ${path.includes("review") ? "test/review-output.test.ts" : "test/golden.test.ts"}`,
      );
    writeFileSync(path, content);
  }
  expect(content, path).toBe(readFileSync(path, "utf8"));
}
