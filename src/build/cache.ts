import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stateDir } from "../local/paths.js";
import type { FileHashCache } from "./context.js";

/** At most this many file hashes are kept: enough for large monorepos, bounded all the same. */
const MAX_FILES = 200_000;

/**
 * What svc remembers between runs about builds, under its state directory: each context file's
 * hash while its size, mtime, inode and mode hold (so an unchanged tree is not read again), and
 * the digest each `repo:svc-<hash>` tag was pushed or found with. Losing it costs time, never
 * correctness: a digest is trusted only for an image the service already runs.
 */
export class BuildCache {
  readonly files: FileHashCache;
  private readonly digests: Map<string, string>;

  private constructor(
    private readonly path: string,
    data: { files?: Record<string, { stamp: string; hash: string }>; digests?: Record<string, string> },
  ) {
    this.files = new Map(Object.entries(data.files ?? {}));
    this.digests = new Map(Object.entries(data.digests ?? {}));
  }

  static load(path = join(stateDir(), "build", "cache.json")): BuildCache {
    try {
      return new BuildCache(path, JSON.parse(readFileSync(path, "utf8")));
    } catch {
      return new BuildCache(path, {});
    }
  }

  digest(tag: string): string | undefined {
    return this.digests.get(tag);
  }

  remember(tag: string, digest: string): void {
    this.digests.set(tag, digest);
  }

  /** Written atomically; a cache that cannot be written is only a slower next run. */
  save(): void {
    const files = [...this.files].slice(-MAX_FILES);
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const temp = `${this.path}.${process.pid}`;
      writeFileSync(
        temp,
        JSON.stringify({ files: Object.fromEntries(files), digests: Object.fromEntries(this.digests) }),
        {
          mode: 0o600,
        },
      );
      renameSync(temp, this.path);
    } catch {
      // best effort
    }
  }
}
