import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/cli.js";

/**
 * svc as CI installs it (examples/ci/scripts/install-svc.sh): `npm pack` builds the tarball
 * (prepack), and `npm install --global --ignore-scripts` of that tarball gives a working svc.
 */
describe("the release tarball", () => {
  it("npm pack builds it; installed globally without install scripts, svc --version and svc validate work", () => {
    const work = mkdtempSync(join(tmpdir(), "svc-pack-"));
    // A copy of the checkout as git holds it (no dist/, nothing built), sharing node_modules.
    const source = join(work, "source");
    const files = spawnSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" });
    expect(files.status).toBe(0);
    for (const file of files.stdout.split("\0").filter(Boolean)) {
      mkdirSync(dirname(join(source, file)), { recursive: true });
      cpSync(join(repoRoot, file), join(source, file));
    }
    symlinkSync(join(repoRoot, "node_modules"), join(source, "node_modules"));
    const npm = (args: string[], cwd: string) =>
      spawnSync("npm", args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, npm_config_update_notifier: "false" },
      });

    const packed = npm(["pack", "--json", "--pack-destination", work], source);
    expect(packed.status, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const paths = info?.files.map((f) => f.path) ?? [];
    expect(paths).toContain("dist/bundle/svc.cjs");
    expect(paths).toContain("dist/bundle/svc.cjs.sha256");
    expect(paths).toContain("oclif.manifest.json");
    expect(paths).toContain("schemas/service.schema.json");
    expect(
      paths.filter((p) => p.includes(".test.") || p.startsWith("src/") || p.startsWith("test/")),
    ).toEqual([]);

    const prefix = join(work, "prefix");
    const installed = npm(
      [
        "install",
        "--global",
        "--prefix",
        prefix,
        "--ignore-scripts",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        join(work, info?.filename ?? ""),
      ],
      work,
    );
    expect(installed.status, installed.stderr).toBe(0);
    expect(readdirSync(join(prefix, "bin"))).toContain("svc");

    // As a user's shell runs it: not under the test runner's NODE_ENV=test (oclif's development mode).
    const { NODE_ENV: _, ...userEnv } = process.env;
    const project = join(work, "project");
    mkdirSync(project);
    const svc = (args: string[]) =>
      spawnSync(join(prefix, "bin", "svc"), args, {
        cwd: project,
        encoding: "utf8",
        env: { ...userEnv, NO_COLOR: "1" },
      });
    const version = svc(["--version"]);
    expect(version.stderr).toBe("");
    expect(version.stdout).toMatch(/^svc\/0\.1\.0 /);
    writeFileSync(
      join(project, "service.yaml"),
      "apiVersion: svc/v1\nkind: Service\nmetadata: { name: web }\nspec:\n  target: web\n  containers: [{ name: web, image: nginx:1.27 }]\n",
    );
    const valid = svc(["validate"]);
    expect(valid.stderr).toBe("");
    expect(valid.status).toBe(0);
    expect(valid.stdout).toContain("1 service valid: web");
  }, 240_000);
});
