import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publicPlan } from "../src/plan/sensitive.js";
import { renderPlanMarkdown } from "../src/render/plan-markdown.js";
import { renderPlanText } from "../src/render/plan-text.js";
import { expectGolden, GOLDEN_SECRETS, goldenPlan, goldenRoot } from "./support/golden-plan.js";
import { expectMatchesSchema } from "./support/schemas.js";

/**
 * desired.yaml + live.json (+ secrets.json) → plan.txt, plan.json, plan.md, for every row of
 * product.md §2 and each preflight failure. Regenerate with UPDATE_GOLDEN=1, then review the diff.
 */
const root = goldenRoot;

function render(dir: string, tokenSecret = "golden-token-secret") {
  const plan = goldenPlan(dir, tokenSecret);
  return {
    plan,
    text: `${renderPlanText(plan)}\n`,
    // As `svc plan --json` and `--out` write it.
    json: `${JSON.stringify(publicPlan(plan), null, 2)}\n`,
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
    expectMatchesSchema("plan.schema.json", publicPlan(plan));
    for (const [file, content] of [
      ["plan.txt", text],
      ["plan.json", json],
      ["plan.md", md],
    ] as const)
      expectGolden(join(dir, file), content);
    // The secret's value never reaches a plan, whatever changed, nor its bare hash.
    for (const value of GOLDEN_SECRETS) {
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
