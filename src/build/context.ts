import { createHash } from "node:crypto";
import { type Dirent, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { BuildSpec } from "../manifest/model.js";
import { sha256Hex } from "../util/hash.js";
import { byText } from "../util/sorted.js";

/** What a build context is, as the engine will receive it. */
export interface ContextDigest {
  /** `sha256:` of the files (path, executable bit, content), the Dockerfile path, args and target. */
  hash: string;
  /** Paths relative to the context, `/`-separated, sorted: exactly what is sent to the engine. */
  files: string[];
}

/** A file's hash, kept while its size, mtime and inode stay the same: unchanged trees are not re-read. */
export type FileHashCache = Map<string, { stamp: string; hash: string }>;

const processCache: FileHashCache = new Map();

/**
 * Hashes a build context honouring `.dockerignore` with the same library and options dockerode
 * uses to pack it, so the hash covers exactly the files the engine gets. The Dockerfile path,
 * build args and target are part of the hash: changing any of them is a new image.
 */
export function hashContext(build: BuildSpec, cache: FileHashCache = processCache): ContextDigest {
  const ignore = readIgnore(build.context);
  const files: string[] = [];
  const hash = createHash("sha256");
  const walk = (dir: string, prefix: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => byText(a.name, b.name));
    for (const entry of entries) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // A directory is skipped whole only when no `!` rule could bring part of it back.
        if (!(ignore?.prunes(path) ?? false)) walk(join(dir, entry.name), path);
        continue;
      }
      if (ignore?.ignores(path)) continue;
      const line = fileLine(join(dir, entry.name), entry, cache);
      if (line === undefined) continue;
      files.push(path);
      hash.update(`${path}\0${line}\n`);
    }
  };
  walk(build.context, "");
  hash.update(
    `\0dockerfile=${build.dockerfile}\0target=${build.target ?? ""}\0args=${JSON.stringify(Object.entries(build.args).sort(([a], [b]) => byText(a, b)))}`,
  );
  return { hash: `sha256:${hash.digest("hex")}`, files };
}

/** The image tag a context hash is pushed under: the registry then says whether it was built. */
export function contextTag(hash: string): string {
  return `svc-${hash.replace(/^sha256:/, "").slice(0, 24)}`;
}

function fileLine(path: string, entry: Dirent, cache: FileHashCache): string | undefined {
  if (entry.isSymbolicLink()) return `link\0${readlinkSync(path)}`;
  if (!entry.isFile()) return undefined; // sockets, fifos, devices: the engine gets none
  const stat = statSync(path);
  const stamp = `${stat.size}:${stat.mtimeMs}:${stat.ino}:${stat.mode}`;
  let known = cache.get(path);
  if (known?.stamp !== stamp) {
    known = { stamp, hash: sha256Hex(readFileSync(path)) };
    cache.set(path, known);
  }
  return `${stat.mode & 0o111 ? "x" : "-"}\0${known.hash}`;
}

function readIgnore(
  context: string,
): { ignores(path: string): boolean; prunes(dir: string): boolean } | undefined {
  let text: string;
  try {
    text = readFileSync(join(context, ".dockerignore"), "utf8");
  } catch {
    return undefined;
  }
  // As dockerode packs the context (lib/util.js prepareBuildContext).
  // A CommonJS module whose types declare an ES default export: loaded as what it is, when used.
  const dockerignore = createRequire(import.meta.url)(
    "@balena/dockerignore",
  ) as typeof import("@balena/dockerignore").default;
  const rules = dockerignore({ ignorecase: false }).add(text);
  const exceptions = text.split("\n").some((line) => line.trim().startsWith("!"));
  return {
    ignores: (path) => rules.ignores(path),
    prunes: (dir) => !exceptions && rules.ignores(dir),
  };
}
