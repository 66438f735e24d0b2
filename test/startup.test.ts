import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, svc } from "./support/cli.js";

/**
 * How the CLI starts (ARCHITECTURE.md, start-up): one bundle whose commands initialise only the
 * modules they import, and V8's compiled code kept between runs (bin/run.js).
 */

const bundleHash = readFileSync(join(repoRoot, "dist/bundle/svc.cjs.sha256"), "utf8").trim().slice(0, 16);

/** `svc validate examples/shop` with its own cache directory; the files there afterwards. */
function validate(cacheHome: string, env: NodeJS.ProcessEnv = {}) {
  const r = svc(["validate", "examples/shop"], { env: { XDG_CACHE_HOME: cacheHome, ...env } });
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain("✔ 1 service valid: shop");
  expect(r.status).toBe(0);
  const dir = join(cacheHome, "svc", "code");
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    // none written
  }
  return { dir, names };
}

describe("start-up", () => {
  it("loads none of the heavy dependencies for a command that does not use them", () => {
    const report = join(mkdtempSync(join(tmpdir(), "svc-startup-")), "loaded.json");
    const reporter = join(report, "..", "report.cjs");
    writeFileSync(
      reporter,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));\n`,
    );
    const r = svc(["validate", "examples/shop"], { env: { NODE_OPTIONS: `--require ${reporter}` } });
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(readFileSync(report, "utf8")) as string[];
    // The reporter saw the CLI: a broken one would pass the test below with an empty list.
    expect(loaded).toContain(join(repoRoot, "dist/bundle/svc.cjs"));
    const heavy = loaded.filter((path) =>
      /node_modules[\\/](fastify|dockerode|docker-modem|better-sqlite3|node-forge|tar-stream|listr2|@inquirer|cli-table3|diff|@napi-rs|ajv[\\/]dist[\\/]ajv)/.test(
        path,
      ),
    );
    expect(heavy).toEqual([]);
  });

  it("keeps the compiled code per command and build, uses it, and writes it again when V8 refuses it", () => {
    const cacheHome = mkdtempSync(join(tmpdir(), "svc-code-cache-"));
    const first = validate(cacheHome);
    const file = `${bundleHash}-${process.version}-${process.arch}-validate.bin`;
    expect(first.names).toEqual([file]);
    const path = join(first.dir, file);
    expect(statSync(path).size).toBeGreaterThan(10_000);
    expect(statSync(path).mode & 0o077).toBe(0);

    // Accepted: left as it is.
    const written = statSync(path).mtimeMs;
    validate(cacheHome);
    expect(statSync(path).mtimeMs).toBe(written);

    // Refused (not V8's data at all): the command still runs, and the file is replaced.
    writeFileSync(path, "not code");
    validate(cacheHome);
    expect(readFileSync(path).subarray(0, 8).toString()).not.toBe("not code");
    expect(statSync(path).size).toBeGreaterThan(10_000);
  });

  it("drops code of other builds when it writes its own, and writes none when turned off", () => {
    const cacheHome = mkdtempSync(join(tmpdir(), "svc-code-cache-"));
    expect(validate(cacheHome, { SVC_NO_COMPILE_CACHE: "1" }).names).toEqual([]);

    const { dir, names } = validate(cacheHome);
    const name = (build: string, command: string) =>
      `${build}-${process.version}-${process.arch}-${command}.bin`;
    expect(names).toEqual([name(bundleHash, "validate")]);
    // An upgrade: the next write finds code of an older build, and another command's of this one.
    rmSync(join(dir, name(bundleHash, "validate")));
    writeFileSync(join(dir, name("0000000000000000", "validate")), "old build");
    writeFileSync(join(dir, name(bundleHash, "plan")), "this build");
    expect(validate(cacheHome).names).toEqual([name(bundleHash, "plan"), name(bundleHash, "validate")]);
  });
});
