import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { assemble, planService } from "../src/plan/build.js";
import type { LiveState } from "../src/plan/model.js";
import { renderPlanMarkdown } from "../src/render/plan-markdown.js";
import { renderPlanText } from "../src/render/plan-text.js";
import { loadServices } from "../src/spec/load.js";
import { repoRoot } from "./support/cli.js";

/**
 * desired.yaml + live.json (+ secrets.json) → plan.txt, plan.json, plan.md, for every row of
 * product.md §2 and each preflight failure. Regenerate with UPDATE_GOLDEN=1, then review the diff.
 */
const root = join(repoRoot, "test/golden");
const NOW = Date.parse("2026-11-22T12:00:00.000Z");
const update = process.env.UPDATE_GOLDEN === "1";
const validatePlan = new Ajv2020.default({ strict: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, "schemas/plan.schema.json"), "utf8")),
);

function render(dir: string) {
  const loaded = loadServices({ cwd: dir, files: ["desired.yaml"], vars: {} });
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const live = JSON.parse(readFileSync(join(dir, "live.json"), "utf8")) as LiveState;
  const secretsFile = join(dir, "secrets.json");
  const secrets = new Map<string, string>(
    existsSync(secretsFile) ? Object.entries(JSON.parse(readFileSync(secretsFile, "utf8"))) : [],
  );
  const plan = assemble(
    [planService(loaded.services[0] as NonNullable<(typeof loaded.services)[0]>, live, secrets, NOW)],
    [],
    new Date(NOW).toISOString(),
  );
  return {
    plan,
    text: `${renderPlanText(plan)}\n`,
    json: `${JSON.stringify(plan, null, 2)}\n`,
    md: `${renderPlanMarkdown(plan)}\n`,
  };
}

describe("golden plans", () => {
  const cases = readdirSync(root).sort();
  it("covers every change type and preflight failure", () => {
    expect(cases.length).toBeGreaterThanOrEqual(23);
  });

  it.each(cases)("%s", (name) => {
    const dir = join(root, name);
    const { plan, text, json, md } = render(dir);
    expect(validatePlan(plan), JSON.stringify(validatePlan.errors)).toBe(true);
    for (const [file, content] of [
      ["plan.txt", text],
      ["plan.json", json],
      ["plan.md", md],
    ] as const) {
      const path = join(dir, file);
      if (update || !existsSync(path)) {
        if (!update)
          throw new Error(`${path} is missing: run UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts`);
        writeFileSync(path, content);
      }
      expect(content, `${name}/${file}`).toBe(readFileSync(path, "utf8"));
    }
    // The secret's value never reaches a plan, whatever changed.
    expect(`${text}${json}${md}`).not.toContain("s3cret-db-pass");
    expect(`${text}${json}${md}`).not.toContain("previous-pass");
  });
});
