import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
import { ExitCode, UserError } from "../errors.js";

const run = promisify(execFile);

/** One commit, as `svc history` lists it. */
export interface Commit {
  commit: string;
  author: string;
  /** ISO time of the commit. */
  date: string;
  subject: string;
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" });
  return stdout;
}

/** The repository the current directory is in (its top level), or exit 3 saying svc needs one. */
export async function repositoryTop(cwd = process.cwd()): Promise<string> {
  try {
    return (await git(cwd, ["rev-parse", "--show-toplevel"])).trim();
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new UserError(
      missing
        ? "git is not installed: svc reads a service's releases from its repository's history"
        : `${cwd} is not in a git repository: svc reads a service's releases from the history of the repository its manifests are in`,
      {
        hint: missing ? "install git" : "run this in the repository that holds the service's manifests",
        exitCode: ExitCode.invalidInput,
      },
    );
  }
}

/** The newest `limit` commits that changed any of `paths` (relative to `top`), newest first. */
export async function commitsTouching(top: string, paths: string[], limit: number): Promise<Commit[]> {
  const out = await git(top, [
    "log",
    `-n${limit}`,
    "--format=%H%x1f%an%x1f%aI%x1f%s%x1e",
    "--",
    ...paths.map((p) => `:(literal)${p}`),
  ]);
  return out
    .split("\x1e")
    .map((r) => r.trim())
    .filter(Boolean)
    .map((record) => {
      const [commit = "", author = "", date = "", subject = ""] = record.split("\x1f");
      return { commit, author, date: new Date(date).toISOString(), subject };
    });
}

/** A commit named any way git accepts (a hash, HEAD~2, a tag), as its full hash; exit 3 when none. */
export async function resolveCommit(top: string, name: string): Promise<string> {
  try {
    return (
      await git(top, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${name}^{commit}`])
    ).trim();
  } catch {
    throw new UserError(`${JSON.stringify(name)} names no commit in ${top}`, {
      hint: "pass a commit svc history lists (its hash, or a tag)",
      exitCode: ExitCode.invalidInput,
    });
  }
}

/**
 * The tree of a commit, written to a new directory named as the repository is (its identity, the
 * name svc marks deployments with, is the same), with the repository's config beside it so
 * manifests read there belong to the same repository. `done` removes it.
 */
export async function checkout(top: string, commit: string): Promise<{ dir: string; done: () => void }> {
  const base = mkdtempSync(join(tmpdir(), "svc-release-"));
  const done = () => rmSync(base, { recursive: true, force: true });
  try {
    const dir = join(base, basename(top));
    mkdirSync(join(dir, ".git"), { recursive: true });
    const common = (await git(top, ["rev-parse", "--git-common-dir"])).trim();
    copyFileSync(
      join(isAbsolute(common) ? common : resolve(top, common), "config"),
      join(dir, ".git", "config"),
    );
    await extract(top, commit, dir);
    return { dir, done };
  } catch (error) {
    done();
    throw error;
  }
}

/** `git archive COMMIT | tar -x -C dir`, both as child processes, no shell. */
async function extract(top: string, commit: string, dir: string): Promise<void> {
  const archive = spawn("git", ["archive", "--format=tar", commit], {
    cwd: top,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tar = spawn("tar", ["-x", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
  archive.stdout.pipe(tar.stdin);
  let errors = "";
  for (const child of [archive, tar]) child.stderr?.on("data", (d: Buffer) => (errors += d.toString()));
  const exit = (child: typeof archive | typeof tar) =>
    new Promise<number | null>((done, fail) => {
      child.once("error", fail);
      child.once("close", done);
    });
  const [archived, extracted] = await Promise.all([exit(archive), exit(tar)]);
  if (archived !== 0 || extracted !== 0)
    throw new Error(
      `could not read commit ${commit.slice(0, 12)}: ${errors.trim() || `exit ${archived ?? extracted}`}`,
    );
}
