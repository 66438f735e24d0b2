import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { svcAsync } from "./support/cli.js";

/**
 * A CI step parses svc's JSON from a pipe: the whole document must arrive whatever the exit code
 * (a process that exits before stdout drains cuts it at the pipe's 64 KB).
 */
function manifests(count: number, container: (s: number, c: number) => string, containers: number): string {
  const root = mkdtempSync(join(tmpdir(), "svc-drain-"));
  for (let s = 0; s < count; s++) {
    mkdirSync(join(root, `s${s}`));
    const list = Array.from({ length: containers }, (_, c) => container(s, c)).join("\n");
    writeFileSync(
      join(root, `s${s}`, "service.yaml"),
      `apiVersion: svc/v1\nkind: Service\nmetadata: { name: s${s} }\nspec:\n  target: t${s}\n  containers:\n${list}\n`,
    );
  }
  return root;
}

describe("JSON through a pipe, over 1 MB, for each exit code", () => {
  it("exit 3 (invalid input): every diagnostic arrives", async () => {
    const dir = manifests(
      300,
      (_, c) =>
        `    - name: c${c}\n      image: app:1.0\n      env: { ${Array.from({ length: 8 }, (_, i) => `${i}BAD${c}: x`).join(", ")} }`,
      2,
    );
    const r = await svcAsync(["validate", dir, "--json"]);
    expect(r.status).toBe(3);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    const result = JSON.parse(r.stdout);
    expect(result.diagnostics.filter((d: { severity: string }) => d.severity === "error")).toHaveLength(
      300 * 2 * 8,
    );
  }, 120_000);

  it("exit 0 (warnings only): every warning arrives", async () => {
    const dir = manifests(250, (s, c) => `    - { name: c${c}, image: "app${s}-${c}:latest" }`, 16);
    const r = await svcAsync(["validate", dir, "--json"]);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    expect(JSON.parse(r.stdout).summary.warnings).toBe(250 * 16);
  }, 120_000);
});
