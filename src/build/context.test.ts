import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contextTag, type FileHashCache, hashContext } from "./context.js";

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "svc-ctx-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const spec = (
  dir: string,
  more: { args?: Record<string, string>; dockerfile?: string; target?: string } = {},
) => ({
  context: dir,
  dockerfile: more.dockerfile ?? "Dockerfile",
  args: more.args ?? {},
  ...(more.target ? { target: more.target } : {}),
});

describe("build context hash", () => {
  it("covers what the engine receives: every file but the ignored ones, sorted", () => {
    const dir = context({
      Dockerfile: "FROM scratch\n",
      "src/a.txt": "a",
      "src/b.txt": "b",
      "logs/x.log": "noise",
      "keep.log": "kept by an exception",
      ".dockerignore": "logs\n*.log\n!keep.log\n",
    });
    expect(hashContext(spec(dir), new Map()).files).toEqual([
      ".dockerignore",
      "Dockerfile",
      "keep.log",
      "src/a.txt",
      "src/b.txt",
    ]);
  });

  it("moves with content, names, the executable bit, Dockerfile, args and target; not with ignored files", () => {
    const dir = context({
      Dockerfile: "FROM scratch\n",
      "app.sh": "echo hi\n",
      ".dockerignore": "notes.md\n",
      "notes.md": "1",
    });
    const base = hashContext(spec(dir), new Map()).hash;
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashContext(spec(dir), new Map()).hash).toBe(base);
    writeFileSync(join(dir, "notes.md"), "2");
    expect(hashContext(spec(dir), new Map()).hash).toBe(base);

    const variants = [
      () => writeFileSync(join(dir, "app.sh"), "echo bye\n"),
      () => chmodSync(join(dir, "app.sh"), 0o755),
      () => writeFileSync(join(dir, "new.txt"), ""),
    ];
    const seen = new Set([base]);
    for (const change of variants) {
      change();
      const h = hashContext(spec(dir), new Map()).hash;
      expect(seen.has(h)).toBe(false);
      seen.add(h);
    }
    const now = hashContext(spec(dir), new Map()).hash;
    for (const other of [{ args: { V: "1" } }, { dockerfile: "other/Dockerfile" }, { target: "build" }])
      expect(hashContext(spec(dir, other), new Map()).hash).not.toBe(now);
  });

  it("reads a file again only when its size, mtime, inode or mode moved", () => {
    const dir = context({ Dockerfile: "FROM scratch\n" });
    const cache: FileHashCache = new Map();
    const first = hashContext(spec(dir), cache).hash;
    const entry = cache.get(join(dir, "Dockerfile"));
    expect(entry?.hash).toMatch(/^[0-9a-f]{64}$/);
    // A cached hash is trusted while the file's stamp holds: proof it was not read again.
    cache.set(join(dir, "Dockerfile"), { stamp: entry?.stamp ?? "", hash: "0".repeat(64) });
    expect(hashContext(spec(dir), cache).hash).not.toBe(first);
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n\n");
    expect(cache.get(join(dir, "Dockerfile"))?.hash).toBe("0".repeat(64));
    hashContext(spec(dir), cache);
    expect(cache.get(join(dir, "Dockerfile"))?.hash).not.toBe("0".repeat(64));
  });

  it("names a build by its hash in a tag the registry accepts", () => {
    expect(contextTag(`sha256:${"ab".repeat(32)}`)).toBe(`svc-${"ab".repeat(12)}`);
  });
});
