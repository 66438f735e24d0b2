import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { envVar } from "../src/credentials/names.js";
import type { RunningPlatform } from "../src/local/server/start.js";
import { repoRoot, svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  API_MODES,
  createService,
  manyServices,
  platformRecord,
  startTestPlatform,
} from "./support/local-platform.js";

const hasEngine = await engineAvailable("the apply reliability suite");
const bin = join(repoRoot, "bin/run.js");
describe.runIf(hasEngine).each(API_MODES)("apply under faults, kills and contention (--api %s)", (mode) => {
  let platform: (RunningPlatform & { home: string }) | undefined;
  /** Calls per new service: deploy, (set-description, set-labels where shown back), bind-domain. */
  const CALLS = mode === "extended" ? 4 : 2;
  beforeAll(ensureExampleImages, 120_000);
  afterEach(async () => {
    await platform?.close(true);
    platform = undefined;
  });

  it("converges 20 services through 20% 5xx and resets with 200 ms jitter, no change duplicated or lost", async () => {
    platform = await startTestPlatform({
      api: mode,
      faults: { errorRate: 0.2, resetRate: 0.2, jitterMs: 200 },
    });
    const running = platform;
    const { dir, env, apis } = await manyServices(platform, 20);
    // With revisions (extended) a call is retried under if-revision until it lands. Without, a
    // call that failed with nothing changed is sent only once more, so a service may fail cleanly
    // (exit 1 or 5) and the next apply picks it up. In both modes a read that fails all its
    // retries stops that run's plan. Whatever happens, it must converge, nothing applied twice.
    let r = await svcAsync(["apply", "--auto-approve", "--no-wait", dir], { env });
    for (let run = 1; r.status !== 0 && run < 4; run++) {
      // 6: a lost answer whose outcome could not be read back — honest, and the next run decides.
      expect([1, 5, 6], r.stdout.slice(-3000) + r.stderr).toContain(r.status);
      expect(r.stdout + r.stderr).not.toContain("This is a bug");
      r = await svcAsync(["apply", "--auto-approve", "--no-wait", dir], { env });
    }
    expect(r.stderr, r.stdout.slice(-3000)).toBe("");
    expect(r.stdout).toMatch(/Applied \d+ services?\./);
    expect(r.status).toBe(0);
    // Each change landed exactly once: one revision per call.
    for (const api of apis) {
      const { id } = (await api.call<{ id: string }>("GET", "/api/v1/k8s/userService")).body;
      expect(platformRecord(running, id).revision).toBe(CALLS);
    }
    // The check runs under the same faults: a plan that could not read a target (a read failing
    // all its retries) reports a problem, not drift; such a plan is made again, at most twice.
    let again = await svcAsync(["plan", dir, "--detailed-exitcode"], { env });
    for (let i = 0; i < 2 && again.stdout.includes("must be fixed before apply"); i++) {
      again = await svcAsync(["plan", dir, "--detailed-exitcode"], { env });
    }
    expect(again.stdout).toContain("No changes. The live state matches the manifests (20 services).");
    expect(again.status).toBe(0);
  }, 240_000);

  it("converges when svc is killed with SIGKILL mid-apply and run again", async () => {
    platform = await startTestPlatform({ api: mode, faults: { latencyMs: 50 } });
    const { dir, env } = await manyServices(platform, 6);
    const child = spawn(
      process.execPath,
      [bin, "apply", "--auto-approve", "--no-wait", "--parallelism", "2", dir],
      {
        env: { ...process.env, ...env, NO_COLOR: "1" },
        stdio: "ignore",
      },
    );
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const before = await svcAsync(["plan", dir, "--detailed-exitcode"], { env });
    expect(before.status).toBe(2); // it was cut off part-way

    const r = await svcAsync(["apply", "--auto-approve", "--no-wait", dir], { env });
    expect(r.status).toBe(0);
    expect((await svcAsync(["plan", dir, "--detailed-exitcode"], { env })).status).toBe(0);
  }, 120_000);

  it("lets one of two concurrent applies on a target win; the other fails cleanly", async () => {
    platform = await startTestPlatform({ api: mode, faults: { latencyMs: 300 } });
    const { token, api } = await createService(platform, { units: 1 });
    const target = (await api.call<{ id: string }>("GET", "/api/v1/k8s/userService")).body.id;
    const env = {
      [envVar("target", target)]: token,
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/x",
    };
    const manifest = (from: string) =>
      `apiVersion: svc/v1\nkind: Service\nmetadata: { name: race }\nspec:\n  target: ${target}\n  containers:\n    - { name: web, image: "svc-examples/hello:1.0", env: { FROM: "${from}" }, command: [/bin/httpd, -f, -p, "8080", -h, /www] }\n`;
    const a = join(platform.home, "a.yaml");
    const b = join(platform.home, "b.yaml");
    writeFileSync(a, manifest("from a"));
    writeFileSync(b, manifest("from b"));
    const results = await Promise.all(
      [a, b].map((f) => svcAsync(["apply", "--auto-approve", "--no-wait", "-f", f], { env })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([0, 1]);
    const loser = results.find((r) => r.status === 1);
    expect(loser?.stdout).toMatch(
      /changed since it was read|revision moved|already deployed|service changed while svc was applying/,
    );
    const winner = results[0]?.status === 0 ? "from a" : "from b";
    const pod = await api.call<{ podSpec: { containers: { env: { name: string; value: string }[] }[] } }>(
      "GET",
      "/api/v1/k8s/pod/status",
    );
    expect(pod.body.podSpec.containers[0]?.env).toEqual([{ name: "FROM", value: winner }]);
  }, 120_000);
});
