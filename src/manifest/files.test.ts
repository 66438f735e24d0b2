import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manifest, tempTree } from "../test-support/tmp.js";
import { loadServices } from "./load.js";

/** files[].source in an untrusted manifest: a regular text file inside the repository, or an error. */
function repo(source: string, extra: Record<string, string> = {}) {
  const root = tempTree({
    "repo/app/service.yaml": manifest(
      "web",
      `      files: [{ source: "${source}", target: /etc/app.conf }]\n`,
    ),
    "repo/app/ok.conf": "ok=1\n",
    "repo/shared/common.conf": "shared=1\n",
    "outside.conf": "secret-ish=1\n",
    ...extra,
  });
  mkdirSync(join(root, "repo/.git"));
  return root;
}
const load = (root: string, allowOutside = false) =>
  loadServices({ cwd: join(root, "repo/app"), vars: {}, allowOutside });
const problems = (r: ReturnType<typeof load>) =>
  r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);

describe("files[].source", () => {
  it("reads a file anywhere inside the repository", () => {
    expect(problems(load(repo("./ok.conf")))).toEqual([]);
    const r = load(repo("../shared/common.conf"));
    expect(problems(r)).toEqual([]);
    expect(r.services[0]?.containers[0]?.files[0]?.content).toBe("shared=1\n");
  });

  it("refuses a path outside the repository unless --allow-outside", () => {
    const root = repo("../../outside.conf");
    expect(problems(load(root))[0]).toMatch(/resolves to .*outside.conf, outside the repository/);
    expect(problems(load(root, true))).toEqual([]);
  });

  it("refuses a symlink inside the repository that points outside it", () => {
    const root = repo("./link.conf");
    symlinkSync(join(root, "outside.conf"), join(root, "repo/app/link.conf"));
    expect(problems(load(root))[0]).toContain("outside the repository");
  });

  it("never reads /proc, /sys or /dev, even with --allow-outside", () => {
    for (const path of ["/proc/self/environ", "/dev/zero"]) {
      const r = load(repo(path), true);
      expect(problems(r)[0]).toContain("a system file");
      expect(JSON.stringify(r)).not.toContain("PATH=");
    }
  });

  it("refuses binary content and files over the size limit instead of corrupting or failing later", () => {
    const binary = repo("./blob.bin");
    writeFileSync(join(binary, "repo/app/blob.bin"), Buffer.from([0xff, 0xfe, 0x00, 0x80]));
    expect(problems(load(binary))[0]).toContain("is not UTF-8 text");
    const big = repo("./big.conf");
    writeFileSync(join(big, "repo/app/big.conf"), "x".repeat(1024 * 1024 + 1));
    expect(problems(load(big))[0]).toContain("a config file may have at most 1048576");
  });

  it("refuses a directory", () => {
    expect(problems(load(repo("../shared")))[0]).toContain("is not a regular file");
  });
});
