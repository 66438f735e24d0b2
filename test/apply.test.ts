import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { svcAsync, svcAtTerminal } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  API_MODES,
  createService,
  eventually,
  page,
  platformRecord,
  type ServiceApi,
  startShopTarget,
  workerPortRange,
} from "./support/local-platform.js";

const hasEngine = await engineAvailable("the apply suite");
const DB_PASSWORD = "apply-db-pass-7719";

type Status = {
  podStatus: {
    containerStatuses: { name: string; restartCount: number; state: { running?: { startedAt: string } } }[];
  };
};

describe.runIf(hasEngine).each(API_MODES)("svc apply on the local platform (--api %s)", (mode) => {
  let platform: RunningPlatform & { home: string };
  let api: ServiceApi;
  let id: string;
  let env: Record<string, string>;
  const extended = mode === "extended";
  const apply = (args: string[], extra: Record<string, string> = {}) =>
    svcAsync(["apply", ...args], { env: { ...env, ...extra } });
  const plan = (args: string[], extra: Record<string, string> = {}) =>
    svcAsync(["plan", ...args], { env: { ...env, ...extra } });
  // Assigned host ports are shown only by extended providers: read them where the platform keeps them.
  const hostPort = async (container: string) => platformRecord(platform, id).hostPort(container);
  const starts = async () => {
    const s = await api.call<Status>("GET", "/api/v1/k8s/pod/status");
    return Object.fromEntries(
      s.body.podStatus.containerStatuses.map((c) => [
        c.name,
        `${c.restartCount}@${c.state.running?.startedAt}`,
      ]),
    );
  };

  beforeAll(async () => {
    await ensureExampleImages();
    ({ platform, api, id, env } = await startShopTarget(DB_PASSWORD, mode));
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("applies svc init's starter as is on a service like local, and it serves", async () => {
    const starter = await createService(platform, {
      units: 2,
      persistStorage: true,
      name: `starter-${mode}`,
    });
    const dir = join(mkdtempSync(join(tmpdir(), "svc-starter-")), "app");
    const local = { ...env, SVC_TOKEN_LOCAL: starter.token };
    expect((await svcAsync(["init", dir], { env: local })).status).toBe(0);
    const applied = await svcAsync(["apply", "--auto-approve"], { env: local, cwd: dir });
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);
    expect(applied.stdout).toContain("✔ app (target local): applied");
    const port = platformRecord(platform, starter.id).hostPort("web");
    expect(await eventually(() => page(`http://127.0.0.1:${port}/`))).toContain("Hello from svc");
  });

  it("refuses without a terminal unless --auto-approve, changing nothing", async () => {
    const r = await apply(["examples/shop"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Try this: add --auto-approve");
    expect((await api.call<{ status: string }>("GET", "/api/v1/k8s/userService")).body.status).toBe(
      "ServicePending",
    );
  });

  it("creates the shop: pages served, secret env set, domain routed, then plan says No changes", async () => {
    const r = await apply(["--auto-approve", "-f", "examples/shop/service.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // Description and labels are written only where the provider shows them back.
    expect(r.stdout).toContain(
      extended
        ? "✔ shop (target local): applied — deploy, set-description, set-labels, bind-domain, bind-domain"
        : "✔ shop (target local): applied — deploy, bind-domain, bind-domain",
    );
    expect(await page(`http://127.0.0.1:${await hostPort("web")}/`)).toContain("version 1.0");
    expect((await page(`http://127.0.0.1:${await hostPort("api")}/cgi-bin/health`))?.trim()).toBe(
      "ok version 1.0",
    );
    const pod = await api.call<{
      podSpec: { containers: { name: string; env: { name: string; value: string }[] }[] };
    }>("GET", "/api/v1/k8s/pod/status");
    expect(pod.body.podSpec.containers.find((c) => c.name === "api")?.env).toContainEqual({
      name: "DB_PASSWORD",
      value: DB_PASSWORD,
    });
    expect(r.stdout).not.toContain(DB_PASSWORD);

    const after = await plan(["examples/shop", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.status).toBe(0);
  });

  it("changes labels (where shown) and domains without restarting any container, live at a terminal", async () => {
    const before = await starts();
    await api.call("PATCH", "/api/v1/k8s/pod/ingress", { action: "Del", domains: ["api.example.test"] });
    if (extended)
      await api.call("POST", "/api/v1/k8s/deployment/metadata/label", { labels: { env: "other" } });
    const r = await svcAtTerminal(["apply", "--auto-approve", "examples/shop"], { env });
    expect(r.status, r.stdout).toBe(0);
    // The live task list's line for the service, then the summary.
    expect(r.stdout).toMatch(/shop \(target [^)]+\): (set-labels, )?bind-domain/);
    expect(r.stdout).toContain(extended ? "applied — set-labels, bind-domain" : "applied — bind-domain");
    expect(await starts()).toEqual(before);
    expect((await plan(["examples/shop", "--detailed-exitcode"])).status).toBe(0);
  });

  it("updates the image in place (new page), then redeploys with storage kept", async () => {
    const url = async () => `http://127.0.0.1:${await hostPort("api")}/cgi-bin/visits`;
    const first = Number((await page(await url()))?.trim());
    expect(first).toBeGreaterThan(0);

    const image = await apply(["--auto-approve", "examples/shop"], { SHOP_VERSION: "2.0" });
    expect(image.status).toBe(0);
    // Without image-container a two-container service cannot name the container: a redeploy.
    expect(image.stdout).toContain(extended ? "applied — update-images" : "applied — redeploy");
    expect(await page(`http://127.0.0.1:${await hostPort("web")}/`)).toContain("version 2.0");
    expect((await plan(["examples/shop", "--detailed-exitcode"], { SHOP_VERSION: "2.0" })).status).toBe(0);

    // units forces a redeploy; the visit counter lives in storage and survives it.
    const bigger = await svcAsync(
      [
        "apply",
        "--auto-approve",
        "-f",
        "examples/shop/service.yaml",
        "-f",
        "test/fixtures/overrides/api-units.yaml",
      ],
      {
        env,
      },
    );
    expect(bigger.status).toBe(0);
    expect(bigger.stdout).toContain("applied — redeploy");
    expect(Number((await eventually(async () => page(await url())))?.trim())).toBe(first + 1);
  });

  it("applies a saved plan only while the live state matches it (exit 4 otherwise, nothing changed)", async () => {
    const file = `${platform.home}/saved.json`;
    expect((await plan(["examples/shop", "--out", file])).status).toBe(0);
    await api.call("PATCH", "/api/v1/k8s/pod/ingress", { action: "Del", domains: ["api.example.test"] });
    const { revision } = platformRecord(platform, id);
    const r = await apply([file, "--auto-approve"]);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain("the saved plan is stale; nothing was applied");
    expect(platformRecord(platform, id).revision).toBe(revision);
    expect(readFileSync(file, "utf8")).not.toContain(DB_PASSWORD);

    const saved = await plan(["examples/shop", "--out", file]);
    expect(saved.status).toBe(0);
    expect(saved.stdout).toContain(
      `Saved this plan to ${file}. Apply exactly it (refused if the live state has moved since) with:\n  svc apply ${file}\n`,
    );
    // The saved plan is the approval: no --auto-approve, no prompt.
    const fresh = await apply([file]);
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toContain("applied — redeploy, bind-domain");
  });

  it("needs --allow-destructive to move storage without a terminal", async () => {
    const args = [
      "--auto-approve",
      "-f",
      "examples/shop/service.yaml",
      "-f",
      "test/fixtures/overrides/api-storage-moved.yaml",
    ];
    const refused = await apply(args);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("Try this: add --allow-destructive");
    const allowed = await apply([...args, "--allow-destructive"]);
    expect(allowed.status).toBe(0);
  });

  it("treats renaming a container with storage as destructive: refused without --allow-destructive, nothing changed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-rename-"));
    copyFileSync("examples/shop/httpd.conf", join(dir, "httpd.conf"));
    writeFileSync(
      join(dir, "service.yaml"),
      readFileSync("examples/shop/service.yaml", "utf8").replace("- name: api\n", "- name: backend\n"),
    );
    const planned = await plan(["-f", join(dir, "service.yaml")]);
    // The test before moved its storage to /var/lib/shop-moved.
    expect(planned.stdout).toContain(
      "destructive: storage of container api (/var/lib/shop-moved) is no longer mounted: the container is removed; backend starts with empty storage",
    );
    const before = await starts();
    const refused = await apply(["--auto-approve", "-f", join(dir, "service.yaml")]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("Try this: add --allow-destructive");
    expect(await starts()).toEqual(before);
  });

  it("fails a crash-looping container within the timeout, showing its last log lines", async () => {
    const r = await apply([
      "--auto-approve",
      "--allow-destructive",
      "--timeout",
      "60",
      "-f",
      "test/fixtures/crashloop/service.yaml",
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/container crasher (exited with code 3|keeps restarting)/);
    expect(r.stdout).toContain("database is unreachable");
    expect(r.stdout).toContain(
      "hint: check the image, command and env of crasher; `svc logs local crasher` shows more",
    );
    // Nothing left to call, but the service does not run: never "No changes" with exit 0. Between
    // two crashes the container runs for a moment, as on any platform: a plan that lands in that
    // moment sees it running, restarted recently.
    const again = await plan(["--detailed-exitcode", "-f", "test/fixtures/crashloop/service.yaml"]);
    expect(again.status).toBe(2);
    expect(again.stdout).toMatch(
      /container crasher (is not running: (it exited with code 3|it keeps crashing)|restarted recently: \d+ restarts?, the current run started at )/,
    );
    expect(again.stdout).toContain(
      "No changes to make, but 1 service does not run as its manifest says: crashloop (crasher).",
    );
  });

  it("does not call a container ready when nothing listens behind its published port", async () => {
    const r = await apply(
      ["--auto-approve", "--allow-destructive", "--timeout", "8", "-f", "test/fixtures/silent/service.yaml"],
      {
        SILENT_PORT: String(workerPortRange()[1]),
      },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      `port 8080 of sleeper (host ${workerPortRange()[1]}): nothing listens (connections are closed at once) after 8 s`,
    );
    expect(r.stdout).toContain("started, listening on nothing");
    expect(r.stdout).toContain("hint: make sleeper listen on port 8080");
  });

  it("waits for a container's own readiness check: an http path, or none", async () => {
    const vars = { READY_PORT: String(workerPortRange()[1]) };
    const missing = await apply(
      ["--auto-approve", "--allow-destructive", "--timeout", "5", "-f", "test/fixtures/ready/http.yaml"],
      {
        ...vars,
        READY_PATH: "/missing",
      },
    );
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain("port 8080 of web");
    expect(missing.stdout).toContain("GET /missing → 404 after 5 s");
    expect(missing.stdout).toContain("hint: make web answer GET /missing with 2xx or 3xx");
    const served = await apply(
      ["--auto-approve", "--allow-destructive", "--timeout", "20", "-f", "test/fixtures/ready/http.yaml"],
      {
        ...vars,
        READY_PATH: "/",
      },
    );
    expect(served.status, served.stdout + served.stderr).toBe(0);
    const none = await apply(
      ["--auto-approve", "--allow-destructive", "--timeout", "20", "-f", "test/fixtures/ready/none.yaml"],
      vars,
    );
    expect(none.status, none.stdout + none.stderr).toBe(0);
  });
});
