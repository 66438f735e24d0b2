import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envVar } from "../src/credentials/names.js";
import type { RunningPlatform } from "../src/local/server/start.js";
import { svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages, writeBusyboxContext } from "./support/engine.js";
import {
  API_MODES,
  caughtUp,
  createService,
  page,
  type ServiceApi,
  startTestPlatform,
  workerPortRange,
} from "./support/local-platform.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";
import { expectMatchesSchema } from "./support/schemas.js";

const ready = (await engineAvailable("the history suite")) && registryAvailable("the history suite");

interface Release {
  commit: string;
  subject: string;
  live: boolean;
  action?: string;
}

/**
 * `svc history` and `svc rollback` in a real git repository with four releases of one service
 * (two images, one built from a context in the repository, one env change) and a commit that
 * touches nothing of it, on the real engine, in both API modes.
 */
describe.runIf(ready).each(API_MODES)("history and rollback (--api %s)", (mode) => {
  let platform: RunningPlatform & { home: string };
  let registry: TestRegistry;
  let api: ServiceApi;
  let id: string;
  let repo: string;
  let env: Record<string, string>;
  const commits: Record<string, string> = {};
  const [low] = workerPortRange();
  const port = low + 30 + (mode === "real" ? 0 : 1);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" }).trim();
  const svc = (...args: string[]) => svcAsync(args, { cwd: join(repo, "svc"), env });
  const write = (path: string, text: string) => writeFileSync(join(repo, path), text);
  const manifest = (container: string) =>
    `apiVersion: svc/v1\nkind: Service\nmetadata: { name: shop }\nspec:\n  target: ${id}\n  containers:\n${container}`;
  const hello = (version: string) =>
    `    - name: web\n      image: svc-examples/hello:${version}\n      ports: ["${port}:8080"]\n      command: [/bin/httpd, -f, -p, "8080", -h, /www]\n`;
  const built = (greeting: string) =>
    `    - name: web\n      image: ${registry.host}/team/web\n      build: ../web\n      ports: ["${port}:8080"]\n${greeting ? `      env: { GREETING: ${greeting} }\n` : ""}`;
  const commit = (name: string, message: string) => {
    git("add", "-A");
    git("commit", "-q", "-m", message);
    commits[name] = git("rev-parse", "HEAD");
  };
  const history = async () => {
    const r = await svc("history", "--json");
    expect(r.stderr).toBe("");
    expect(r.status, r.stdout).toBe(0);
    const parsed = JSON.parse(r.stdout);
    expectMatchesSchema("history-result.schema.json", parsed);
    return parsed as { releases: Release[]; live?: string };
  };
  /** The plan from that commit's checkout says No changes, then the repository is back on main. */
  const convergedAt = async (name: string) => {
    git("checkout", "-q", commits[name] as string);
    try {
      const r = await svc("plan", "--detailed-exitcode");
      expect(r.stdout, name).toContain("No changes.");
      expect(r.status).toBe(0);
    } finally {
      git("checkout", "-q", "main");
    }
  };
  const served = () => page(`http://127.0.0.1:${port}/`);

  beforeAll(async () => {
    await ensureExampleImages();
    registry = await startRegistry(
      5450 + Number(process.env.VITEST_POOL_ID ?? 1) + (mode === "real" ? 0 : 20),
    );
    platform = await startTestPlatform({ api: mode });
    ({ id, api } = await createService(platform, { units: 2, specifiedPort: true }).then((s) => {
      env = {
        [envVar("target", s.id)]: s.token,
        [envVar("registry", registry.host)]: `${registry.username}:${registry.password}`,
        DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      };
      return s;
    }));
    repo = mkdtempSync(join(tmpdir(), "svc-history-"));
    git("init", "-q", "-b", "main");
    git("config", "user.email", "dev@example.test");
    git("config", "user.name", "Dev One");
    mkdirSync(join(repo, "svc"));
    writeBusyboxContext(join(repo, "web"), "built from the repository\n");
    write("svc/service.yaml", manifest(hello("1.0")));
    commit("first", "first: hello 1.0");
    write("svc/service.yaml", manifest(hello("2.0")));
    commit("second", "second: hello 2.0");
    write("README.md", "not part of the service\n");
    commit("docs", "docs only");
    write("svc/service.yaml", manifest(built("")));
    commit("built", "third: built from ./web");
    write("svc/service.yaml", manifest(built("hi")));
    commit("fourth", "fourth: greeting");
  }, 180_000);
  afterAll(async () => {
    await platform?.close(true);
    registry?.stop();
  });

  it("lists the releases that changed the service, newest first, and marks the one that runs", async () => {
    const applied = await svc("apply", "--auto-approve");
    expect(applied.status, applied.stdout + applied.stderr).toBe(0);
    const h = await history();
    expect(h.releases.map((r) => r.subject)).toEqual([
      "fourth: greeting",
      "third: built from ./web",
      "second: hello 2.0",
      "first: hello 1.0",
    ]);
    expect(h.live).toBe(commits.fourth);
    expect(h.releases.map((r) => r.live)).toEqual([true, false, false, false]);
    expect(h.releases[3]?.action).not.toBe("noop");

    const human = await svc("history");
    expect(human.stdout).toMatch(
      new RegExp(`●\\s+${(commits.fourth as string).slice(0, 12)}\\s.*fourth: greeting\\s+live`),
    );
    expect(human.stdout).toContain(
      `${id} runs ${(commits.fourth as string).slice(0, 12)}: its manifests plan as No changes.`,
    );
  });

  it("says live with drift after a change behind svc's back", async () => {
    const drift = await api.call("PUT", "/api/v1/k8s/pod/update", {
      environment: { web: { GREETING: "hacked" } },
    });
    expect(drift.status).toBe(200);
    await caughtUp(platform, id);
    const h = await history();
    expect(h.live).toBeUndefined();
    expect(h.releases.every((r) => !r.live)).toBe(true);
    const human = await svc("history");
    expect(human.stdout).toContain(`${id}: live with drift`);
    // No release before the live one when none is live: rollback asks which.
    const r = await svc("rollback", "--auto-approve");
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("runs with drift");
    expect(r.stderr).toContain("--to COMMIT");
  });

  it("rolls back to each release, the built one too, and each converges; the next plan says it rolls forward", async () => {
    for (const name of ["first", "built", "second", "fourth"]) {
      const r = await svc("rollback", "--to", (commits[name] as string).slice(0, 10), "--auto-approve");
      expect(r.stderr, name).toBe("");
      expect(r.status, `${name}: ${r.stdout}`).toBe(0);
      expect(r.stdout).toContain(`Rolling ${id} back to ${(commits[name] as string).slice(0, 12)}`);
      await convergedAt(name);
      expect((await history()).live).toBe(commits[name]);
      if (name === "built") {
        // The image built for that commit is in the registry: deployed by digest, not built again.
        expect(r.stdout).not.toContain("building web");
        expect(await served()).toContain("built from the repository");
      }
      if (name === "first") expect(await served()).toContain("version 1.0");
    }
    // Back on the newest release: the default goes to the release before the live one.
    const back = await svc("rollback", "--auto-approve");
    expect(back.status, back.stdout).toBe(0);
    expect(back.stdout).toContain(`Rolling ${id} back to ${(commits.built as string).slice(0, 12)}`);
    expect((await history()).live).toBe(commits.built);
    const forward = await svc("plan");
    if (mode === "extended")
      expect(forward.stdout).toContain(
        `${id} was rolled back to ${(commits.built as string).slice(0, 12)} by svc rollback at`,
      );
    const again = await svc("apply", "--auto-approve");
    expect(again.status).toBe(0);
    expect((await svc("plan")).stdout).not.toContain("rolled back");
  });

  it("outside a git repository: exit 3, saying so", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "svc-no-git-"));
    writeFileSync(join(elsewhere, "service.yaml"), manifest(hello("1.0")));
    const r = await svcAsync(["history"], { cwd: elsewhere, env });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("is not in a git repository");
    expect(r.stderr).not.toContain("    at ");
  });
});
