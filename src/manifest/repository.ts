import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";

const roots = new Map<string, string>();

/** The repository a manifest belongs to: the nearest directory above it with .git, else its own directory. */
export function repositoryRoot(manifest: string): string {
  const start = realpathSync(dirname(manifest));
  let root = roots.get(start);
  if (root === undefined) {
    root = start;
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, ".git"))) {
        root = dir;
        break;
      }
      if (dirname(dir) === dir) break;
    }
    roots.set(start, root);
  }
  return root;
}

/**
 * Whether the directories a run searched (none: the current one) hold each of these manifests'
 * whole repository — its root or a directory above — so a service that repository deployed and
 * the run lacks is really gone, not just outside a subdirectory that was asked for.
 */
export function wholeRepositories(manifests: string[], searched: string[], cwd = process.cwd()): boolean {
  const dirs = (searched.length ? searched : ["."])
    .map((p) => resolve(cwd, p))
    .filter((p) => existsSync(p) && statSync(p).isDirectory())
    .map((p) => realpathSync(p));
  return manifests.every((m) => {
    const root = repositoryRoot(m);
    return dirs.some((d) => root === d || root.startsWith(d.endsWith(sep) ? d : d + sep));
  });
}

/**
 * How svc names a repository in the marks it leaves on what it deploys: its `origin` remote
 * (without user, password or `.git`), the same in every clone and CI checkout; else the
 * directory's name.
 */
export function repositoryIdentity(root: string): string {
  let identity = identities.get(root);
  if (identity === undefined) {
    identity = readIdentity(root);
    identities.set(root, identity);
  }
  return identity;
}

const identities = new Map<string, string>();

function readIdentity(root: string): string {
  const git = join(root, ".git");
  try {
    const config = statSync(git).isDirectory() ? join(git, "config") : undefined;
    const text = config ? readFileSync(config, "utf8") : "";
    const origin = /\[remote "origin"\][^[]*?\burl\s*=\s*(\S+)/.exec(text)?.[1];
    if (origin) {
      return origin
        .replace(/^([a-z+]+:\/\/)[^@/]*@/i, "$1")
        .replace(/\.git$/, "")
        .slice(0, 253);
    }
  } catch {
    // not readable: the directory's name
  }
  return basename(root).slice(0, 253);
}
