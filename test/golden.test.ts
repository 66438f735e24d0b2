import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble, planService } from "../src/plan/build.js";
import { fingerprintFor } from "../src/plan/fingerprint.js";
import type { LiveState } from "../src/plan/model.js";
import { renderPlanMarkdown } from "../src/render/plan-markdown.js";
import { renderPlanText } from "../src/render/plan-text.js";
import { loadServices } from "../src/spec/load.js";
import { repoRoot } from "./support/cli.js";
import { expectMatchesSchema } from "./support/schemas.js";

/**
 * desired.yaml + live.json (+ secrets.json) → plan.txt, plan.json, plan.md, for every row of
 * product.md §2 and each preflight failure. Regenerate with UPDATE_GOLDEN=1, then review the diff.
 */
const root = join(repoRoot, "test/golden");
const NOW = Date.parse("2026-11-22T12:00:00.000Z");
const update = process.env.UPDATE_GOLDEN === "1";

function render(dir: string, tokenSecret = "golden-token-secret") {
  const loaded = loadServices({ cwd: dir, files: ["desired.yaml"], vars: {} });
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const live = JSON.parse(readFileSync(join(dir, "live.json"), "utf8")) as LiveState;
  const secretsFile = join(dir, "secrets.json");
  const secrets = new Map<string, string>(
    existsSync(secretsFile) ? Object.entries(JSON.parse(readFileSync(secretsFile, "utf8"))) : [],
  );
  const plan = assemble(
    [
      planService(
        // Where the manifest lives does not change the plan: one repository for every case.
        {
          ...(loaded.services[0] as NonNullable<(typeof loaded.services)[0]>),
          repository: "github.com/acme/shop",
        },
        live,
        {
          secrets,
          fingerprint: fingerprintFor(tokenSecret),
          now: NOW,
        },
      ),
    ],
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
    expectMatchesSchema("plan.schema.json", plan);
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
    // The secret's value never reaches a plan, whatever changed, nor its bare hash.
    for (const value of ["s3cret-db-pass", "previous-pass"]) {
      expect(`${text}${json}${md}`).not.toContain(value);
      expect(json).not.toContain(createHash("sha256").update(value).digest("hex"));
    }
  });

  it("fingerprints are keyed by the target's token secret: another key, other fingerprints", () => {
    const dir = join(root, "secret-changed");
    const a = render(dir).plan.services[0];
    const b = render(dir, "another-token-secret").plan.services[0];
    const hmacs = (s: typeof a) => [
      s?.fingerprint.hmac,
      ...(s?.desired.containers.flatMap((c) =>
        Object.values(c.env).flatMap((v) => ("hmac" in v ? [v.hmac] : [])),
      ) ?? []),
    ];
    expect(hmacs(a).length).toBeGreaterThan(1);
    hmacs(a).forEach((h, i) => {
      expect(h).toMatch(/^[0-9a-f]{64}$/);
      expect(h).not.toBe(hmacs(b)[i]);
    });
    // Same key, same plan: fingerprints are deterministic.
    expect(hmacs(render(dir).plan.services[0])).toEqual(hmacs(a));
  });
});
