import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import { API_MODES, startShopTarget, workerPortRange } from "./support/local-platform.js";

const hasEngine = await engineAvailable("the apply verdict suite");
const MANIFEST = "test/fixtures/verdict/service.yaml";

/**
 * Apply's verdict, on the real engine: one container per readiness kind (http, tcp, the default,
 * none), each started as a scenario says (test/fixtures/verdict/scenario.sh). svc always ends with
 * a verdict and says it once: never exit 13, never "applied" for a container that crashes.
 */
describe.runIf(hasEngine).each(API_MODES)("apply's verdict (--api %s)", (mode) => {
  let platform: RunningPlatform & { home: string };
  let env: Record<string, string>;
  const [low] = workerPortRange();
  const ports = { P0: String(low + 10), P1: String(low + 11), P2: String(low + 12), P3: String(low + 13) };
  const svc = (args: string[], scenario: string, extra: Record<string, string> = {}) =>
    svcAsync(args, { env: { ...env, ...ports, SCENARIO: scenario, ...extra } });
  const apply = (scenario: string, ...flags: string[]) =>
    svc(["apply", "--auto-approve", "--allow-destructive", ...flags, "-f", MANIFEST], scenario);
  const plan = (scenario: string) => svc(["plan", "--detailed-exitcode", "-f", MANIFEST], scenario);
  const port = (name: string, containerPort: number, host: string, answer: string) =>
    `port ${containerPort} of ${name} (host ${host}): ${answer}`;
  const closedAtOnce = "nothing listens (connections are closed at once)";
  const once = (text: string, part: string) => text.split(part).length - 1;

  beforeAll(async () => {
    await ensureExampleImages();
    ({ platform, env } = await startShopTarget("unused", mode));
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("a slow starter (4 s) passes every readiness kind", async () => {
    const r = await apply("slow");
    expect(r.stderr).toBe("");
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain("✔ verdict (target local): applied — deploy");
  });

  it("nothing listening behind the port proxy: http, tcp and the default fail naming what each saw, once; none passes", async () => {
    const r = await apply("silent", "--timeout", "6");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const { P0, P1, P2, P3 } = ports;
    expect(r.stdout).toContain(
      `${port("default", 8082, P2, closedAtOnce)}; ${port("http", 8080, P0, "GET / → connection closed without an answer (nothing listens inside?)")}; ${port("tcp", 8081, P1, closedAtOnce)} after 6 s; its last log lines:\n      started, listening on nothing\n`,
    );
    expect(r.stdout).not.toContain(`(host ${P3})`);
    // The container's last log lines are printed once, in the summary.
    expect(once(r.stdout, "started, listening on nothing")).toBe(1);
    expect(r.stdout).toContain("hint: make default listen on port 8082");
  });

  it("a wrong port (it listens on another one) fails the same way", async () => {
    const r = await apply("wrong-port", "--timeout", "6");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(port("default", 8082, ports.P2, closedAtOnce));
    expect(r.stdout).toContain(port("tcp", 8081, ports.P1, closedAtOnce));
    expect(r.stdout).toContain(
      port("http", 8080, ports.P0, "GET / → connection closed without an answer (nothing listens inside?)"),
    );
  });

  it("a 403 fails after ready.failAfter (30 s), long before the timeout, with the answer shown", async () => {
    const r = await apply("forbidden", "--timeout", "240");
    expect(r.status).toBe(1);
    // Said while waiting (a log hears it every 10 s), then the verdict: not the timeout's.
    expect(r.stdout).toMatch(/… verdict: waiting for http: GET \/ → 403 \(\d+ s\)\n/);
    expect(r.stdout).toContain(
      `${port("http", 8080, ports.P0, "GET / → 403")} for 30 s (ready.failAfter): a client error, which waiting does not change`,
    );
    expect(r.stdout).not.toContain("after 240 s");
    expect(r.stdout).toContain("hint: make http answer GET / with 2xx or 3xx (it refuses with 403)");
  });

  it("a container that serves, then crashes: apply fails in the stability window, plan and status say so until it stays up", async () => {
    const r = await apply("crash-after", "--stable-for", "10");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /container \w+ restarted during the stability window \(10 s; \d+\.\d s after it was ready\)/,
    );
    expect(r.stdout).not.toContain("applied —");
    expect(once(r.stdout, "fatal: lost the database connection")).toBeGreaterThanOrEqual(1);
    expect(r.stdout).not.toMatch(/✖ verdict: failed: [^\n]*\n\s+fatal/);

    // Nothing left to call, but it does not run as the manifest says: never "No changes" with exit 0.
    const planned = await plan("crash-after");
    expect(planned.status, planned.stdout).toBe(2);
    expect(planned.stdout).toMatch(
      /warning: container \w+ (restarted recently: \d+ restarts?, the current run started at [^,]+, within the last 10 minutes \(seen in the pod's restart count\)|is not running: it keeps crashing)/,
    );
    expect(planned.stdout).toContain(
      "No changes to make, but 1 service does not run as its manifest says: verdict (",
    );
    const status = await svc(["status", "local"], "crash-after");
    expect(status.stdout).toMatch(/! \w+ (restarted recently|is not running)/);

    // Fixed: it stays up, and then the plan has nothing to say.
    const fixed = await apply("slow");
    expect(fixed.status, fixed.stdout).toBe(0);
    const after = await plan("slow");
    expect(after.stdout).toContain("No changes.");
    expect(after.status).toBe(0);
  });

  it("a paused service reads paused in svc status", async () => {
    const paused = await svc(["pause", "local", "--yes"], "slow");
    expect(paused.status, paused.stdout + paused.stderr).toBe(0);
    const status = await svc(["status", "local"], "slow");
    expect(status.stdout).toMatch(/http\s+svc-examples\/hello:1\.0\s+paused\s+0/);
    expect(status.stdout).not.toContain("terminated");
    expect((await svc(["resume", "local", "--yes"], "slow")).status).toBe(0);
  });
});
