import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/cli.js";

/**
 * bin/run.js's guard, with the real bin/run.js and a bundle that misbehaves on purpose: svc never
 * ends without one of the README's exit codes and a word (Node alone exits 13, in silence, when
 * the last timer is gone while a promise is still awaited).
 */
function runWithBundle(main: string): { status: number | null; stderr: string } {
  const root = mkdtempSync(join(tmpdir(), "svc-guard-"));
  mkdirSync(join(root, "bin"));
  mkdirSync(join(root, "dist", "bundle"), { recursive: true });
  copyFileSync(join(repoRoot, "bin", "run.js"), join(root, "bin", "run.js"));
  writeFileSync(
    join(root, "package.json"),
    JSON.stringify({ name: "svc", version: "0.0.0", type: "module" }),
  );
  writeFileSync(
    join(root, "dist", "bundle", "svc.cjs"),
    `let doing = "starting";
exports.activity = () => doing;
exports.main = async () => { ${main} };`,
  );
  const r = spawnSync(process.execPath, [join(root, "bin", "run.js"), "apply"], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

describe("svc never stops without a verdict", () => {
  it("a wait that nothing keeps alive ends with exit 1, saying so and where it was", () => {
    const r = runWithBundle(
      `doing = "web: waiting for http GET / → no answer (3 s)"; await new Promise(() => {});`,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "Error: svc stopped without a result (this is a bug in svc): nothing was left to wait for, while web: waiting for http GET / → no answer (3 s).\n" +
        "Try this: run svc plan to see the live state; re-run with --debug and report it.\n",
    );
  });

  it("an exit code in no table becomes 1, saying which it was", () => {
    const r = runWithBundle(`doing = "shop: calling deploy"; process.exitCode = 13;`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("it was ending with exit code 13, while shop: calling deploy.");
  });

  it("the README's exit codes pass as they are, in silence", () => {
    for (const code of [0, 2, 3, 4, 5, 6, 7, 130]) {
      const r = runWithBundle(`process.exitCode = ${code};`);
      expect(r.status).toBe(code);
      expect(r.stderr).toBe("");
    }
  });
});
