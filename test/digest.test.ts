import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../src/plan/build.js";
import { goldenPlan, goldenRoot } from "./support/golden-plan.js";

/** The digest names a plan's intent, whatever the moment, key or wording it was made with. */
describe("plan digest", () => {
  const cases = readdirSync(goldenRoot).sort();

  it("is the same for the same intent: another token key, another time, other revisions and wording", () => {
    for (const name of cases) {
      const a = goldenPlan(join(goldenRoot, name));
      const b = goldenPlan(join(goldenRoot, name), "another-token-secret");
      expect(b.services[0]?.fingerprint.hmac).not.toBe(a.services[0]?.fingerprint.hmac);
      const moved = b.services.map((s) => ({
        ...s,
        fingerprint: { ...s.fingerprint, revision: (s.fingerprint.revision ?? 0) + 5 },
        operations: s.operations.map((o) => ({ ...o, cause: `${o.cause} (worded otherwise)` })),
        diagnostics: [],
      }));
      expect(assemble(moved, [], "2030-01-01T00:00:00.000Z").digest, name).toBe(a.digest);
    }
  });

  it("differs for every different intent among the golden cases, and moves with any change or call", () => {
    const plans = cases.map((name) => goldenPlan(join(goldenRoot, name)));
    const changing = plans.filter((p) => p.services.some((s) => s.operations.length > 0));
    expect(changing.length).toBeGreaterThan(15);
    // Preflight cases share an intent with others (the same create, a different problem).
    const intents = new Set(
      changing.map((p) =>
        JSON.stringify(
          p.services.map((s) => [s.name, s.target, s.action, s.changes, s.operations.map((o) => o.kind)]),
        ),
      ),
    );
    expect(intents.size).toBeGreaterThan(15);
    expect(new Set(changing.map((p) => p.digest)).size).toBe(intents.size);

    const plan = goldenPlan(join(goldenRoot, "image-and-env"));
    const [service] = plan.services;
    if (!service) throw new Error("no service");
    const variants = [
      { ...service, changes: service.changes.map((c, i) => (i === 0 ? { ...c, after: "other" } : c)) },
      { ...service, changes: service.changes.map((c, i) => (i === 0 ? { ...c, before: "other" } : c)) },
      { ...service, changes: service.changes.slice(1) },
      { ...service, operations: [...service.operations].reverse().concat(service.operations) },
      { ...service, target: "elsewhere" },
    ];
    for (const v of variants) expect(assemble([v], []).digest).not.toBe(plan.digest);
  });

  it("of a plan with nothing to do is one constant, whatever is not changing", () => {
    const quiet = cases
      .map((name) => goldenPlan(join(goldenRoot, name)))
      .filter((p) => p.services.every((s) => s.operations.length === 0));
    expect(quiet.length).toBeGreaterThan(1);
    expect(new Set(quiet.map((p) => p.digest)).size).toBe(1);
    expect(quiet[0]?.digest).toBe(assemble([], []).digest);
  });
});
