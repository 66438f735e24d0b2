import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { envVar } from "../src/credentials/names.js";
import type { RunningPlatform } from "../src/local/server/start.js";
import { svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  API_MODES,
  createService,
  page,
  platformRecord,
  startShopTarget,
  startTestPlatform,
  workerPortRange,
} from "./support/local-platform.js";
import { expectMatchesSchema } from "./support/schemas.js";
import { startWebhook } from "./support/webhook.js";

const hasEngine = await engineAvailable("the atomic apply suite");
const MANIFEST = "test/fixtures/atomic/service.yaml";

interface Shape {
  version: "1.0" | "2.0";
  scenario: "good" | "error500" | "crash-after";
  smoke?: "fail";
}
const GOOD: Shape = { version: "1.0", scenario: "good" };

/**
 * `svc apply --atomic` on the real engine (test/fixtures/atomic): a change that crashes after it
 * started, answers 500 to verify.http, or fails verify.run is undone — the old page is served
 * again, and a plan of the old manifest says No changes — with exit 7. Without --atomic it stays.
 */
describe.runIf(hasEngine).each(API_MODES)("apply --atomic (--api %s)", (mode) => {
  let platform: RunningPlatform & { home: string };
  let env: Record<string, string>;
  const [low] = workerPortRange();
  const P0 = String(low + 20);
  const smokeOut = join(mkdtempSync(join(tmpdir(), "svc-atomic-")), "smoke.env");
  const svc = (args: string[], shape: Shape) =>
    svcAsync(args, {
      env: {
        ...env,
        TARGET: "local",
        P0,
        VERSION: shape.version,
        SCENARIO: shape.scenario,
        SMOKE: shape.smoke ?? "",
        SMOKE_OUT: smokeOut,
      },
    });
  const apply = (shape: Shape, ...flags: string[]) =>
    svc(["apply", "--auto-approve", ...flags, "-f", MANIFEST], shape);
  const noChanges = async (shape: Shape) => {
    const planned = await svc(["plan", "--detailed-exitcode", "-f", MANIFEST], shape);
    expect(planned.stdout).toContain("No changes.");
    expect(planned.status).toBe(0);
  };
  const served = () => page(`http://127.0.0.1:${P0}/cgi-bin/health`);

  beforeAll(async () => {
    await ensureExampleImages();
    ({ platform, env } = await startShopTarget("unused", mode));
    const first = await apply(GOOD, "--atomic");
    expect(first.stderr, first.stdout).toBe("");
    expect(first.status, first.stdout).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("a change that passes: applied and verified; the command saw where the service answers, and no credential", async () => {
    const r = await apply({ version: "2.0", scenario: "good" }, "--atomic");
    expect(r.stderr).toBe("");
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain("✔ atomic (target local): applied — update-images; verified (2 checks)");
    expect(await served()).toContain("ok version 2.0");
    const seen = readFileSync(smokeOut, "utf8");
    expect(seen).toContain("SVC_TARGET=local\n");
    expect(seen).toContain("SVC_SERVICE=atomic\n");
    expect(seen).toContain(`SVC_PORT_8080=${P0}\n`);
    expect(seen).toMatch(new RegExp(`SVC_URL=http://[0-9.]+:${P0}\\n`));
    expect(seen).toMatch(/SVC_HOST=[0-9.]+\n/);
    expect(seen).not.toContain("SVC_TOKEN_");
    expect(seen).not.toContain("SVC_SECRET_");
    expect(seen).not.toContain(env.SVC_TOKEN_LOCAL as string);
    expect((await apply(GOOD, "--atomic")).status).toBe(0);
    // --report: written also when nothing changed, for a workflow's next step.
    const report = join(dirname(smokeOut), "nothing.json");
    expect((await apply(GOOD, "--atomic", "--report", report)).status).toBe(0);
    const nothing = JSON.parse(readFileSync(report, "utf8"));
    expectMatchesSchema("notify-payload.schema.json", nothing);
    expect(nothing).toMatchObject({ exitCode: 0, services: [] });
  });

  it("verify.http answered 500: restored, exit 7, the old page served, the old manifest plans as No changes", async () => {
    const r = await apply({ version: "2.0", scenario: "error500" }, "--atomic");
    expect(r.stderr).toBe("");
    expect(r.status, r.stdout).toBe(7);
    expect(r.stdout).toContain(
      'verify check failed: web: GET /cgi-bin/health: answered 500, expected 200; the answer began: "database down"',
    );
    expect(r.stdout).toContain("atomic: verification failed: restoring the state from before the apply");
    expect(r.stdout).toMatch(/↺ atomic \(target local\): restored — redeploy; restored by redeploy\n/);
    expect(r.stdout).not.toContain("Applied 1 service");
    expect(await served()).toContain("ok version 1.0");
    await noChanges(GOOD);
  });

  it("verify.run failed: its output is the evidence, restored, exit 7; the webhook hears it once, with no secret", async () => {
    const hook = await startWebhook();
    const { received, url } = hook;
    const report = join(dirname(smokeOut), "report.json");
    const r = await apply(
      { version: "2.0", scenario: "good", smoke: "fail" },
      "--atomic",
      "--notify",
      url,
      "--report",
      report,
    );
    hook.close();
    expect(received).toHaveLength(1);
    // --report writes the same summary to a file.
    expect(JSON.parse(readFileSync(report, "utf8"))).toEqual(JSON.parse(received[0] as string));
    const payload = JSON.parse(received[0] as string);
    expectMatchesSchema("notify-payload.schema.json", payload);
    expect(payload).toMatchObject({ exitCode: 7, command: "apply" });
    expect(payload.text).toBe("↩️ svc apply of 1 service (exit 7): restored after a failed check: atomic");
    expect(received[0]).not.toContain(env.SVC_TOKEN_LOCAL as string);
    expect(r.status, r.stdout).toBe(7);
    expect(r.stdout).toContain(
      'verify check failed: web: run "sh smoke.sh": exited with code 3; its last output lines:',
    );
    expect(r.stdout).toContain("smoke: POST /checkout answered 500");
    expect(r.stdout).toContain("restored — update-images; restored by update-images");
    expect(await served()).toContain("ok version 1.0");
    await noChanges(GOOD);
  });

  it("a container that restarts inside the stability window: restored with --atomic (JSON too); left as applied without", async () => {
    const crash: Shape = { version: "2.0", scenario: "crash-after" };
    const r = await apply(crash, "--atomic", "--stable-for", "8", "--json");
    expect(r.status, r.stdout).toBe(7);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    for (const event of events) expectMatchesSchema("apply-event.schema.json", event);
    const summary = events.find((e) => e.type === "summary");
    expect(summary.services[0]).toMatchObject({
      status: "restored",
      applied: ["redeploy"],
      restored: ["redeploy"],
    });
    expect(summary.services[0].message).toMatch(/container web restarted during the stability window/);
    expect(summary.services[0].message).toContain("fatal: lost the database connection");
    expect(await served()).toContain("ok version 1.0");
    await noChanges(GOOD);

    const plain = await apply(crash, "--stable-for", "8");
    expect(plain.status).toBe(1);
    expect(plain.stdout).toContain("restarted during the stability window");
    expect(plain.stdout).not.toContain("restoring the state from before");
    expect(plain.stdout).not.toContain("↺");
    const planned = await svc(["plan", "--detailed-exitcode", "-f", MANIFEST], GOOD);
    expect(planned.status).toBe(2);
    expect(planned.stdout).toContain(
      'containers.web.image: "svc-examples/shop-api:2.0" → "svc-examples/shop-api:1.0"',
    );
    expect((await apply(GOOD, "--atomic")).status).toBe(0);
  });

  it("the plan shows the checks and what a failure would restore, in every format", async () => {
    const next: Shape = { version: "2.0", scenario: "good" };
    const r = await svc(["plan", "-f", MANIFEST], next);
    expect(r.stdout).toContain(
      'verified after apply: web: GET /cgi-bin/health → 200 containing "ok version"; web: run "sh smoke.sh"',
    );
    expect(r.stdout).toContain("a failed verification (apply --atomic) restores: update-images (web)");
    const markdown = await svc(["plan", "--format", "markdown", "-f", MANIFEST], next);
    expect(markdown.stdout).toContain(
      "**If verification fails** (`svc apply --atomic`), svc restores the state from before: update-images (web).",
    );
    const json = JSON.parse((await svc(["plan", "--json", "-f", MANIFEST], next)).stdout);
    expectMatchesSchema("plan.schema.json", json);
    expect(json.services[0].restore).toEqual({
      operations: [
        { kind: "update-images", cause: "image changed: web", restarts: true, containers: ["web"] },
      ],
      irreversible: [],
    });
  });

  it("a change that loses data is refused under --atomic unless --allow-destructive, naming the data", async () => {
    const overlay = ["-f", MANIFEST, "-f", "test/fixtures/atomic/storage.yaml"];
    const r = await svc(["apply", "--auto-approve", "--atomic", ...overlay], GOOD);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "nothing was applied: --atomic cannot undo this plan, which loses data a restore could not bring back:\n  atomic: storage of container web moves from /data to /var/data",
    );
    expect(r.stderr).toContain("add --allow-destructive");
    await noChanges(GOOD);
  });
});

/**
 * The restore goes through the same guard as the change: with every answer lost, each call still
 * lands once (the platform's revision counts them), and apply says restored, or unknown (exit 6).
 */
describe.runIf(hasEngine).each(API_MODES)("apply --atomic when answers are lost (--api %s)", (mode) => {
  let platform: (RunningPlatform & { home: string }) | undefined;
  beforeAll(ensureExampleImages, 120_000);
  afterEach(async () => {
    await platform?.close(true);
    platform = undefined;
  });

  it("the change and its restore each land once", async () => {
    platform = await startTestPlatform({ api: mode, faults: { lostAnswerRate: 1 }, visibilityDelay: 1 });
    const { id, token } = await createService(platform, {
      units: 2,
      specifiedPort: true,
      persistStorage: true,
    });
    const [low] = workerPortRange();
    const base = {
      [envVar("target", id)]: token,
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      SVC_SETTLE_TIMEOUT: "10",
      TARGET: id,
      P0: String(low + 40),
      SCENARIO: "good",
    };
    const apply = (version: string, smoke: string) =>
      svcAsync(["apply", "--auto-approve", "--atomic", "-f", MANIFEST], {
        env: { ...base, VERSION: version, SMOKE: smoke },
      });
    expect((await apply("1.0", "")).status).toBe(0);
    const before = platformRecord(platform, id).revision;
    const r = await apply("2.0", "fail");
    expect(r.stderr).toBe("");
    if (r.status === 6) expect(r.stdout).toContain("unknown");
    else {
      expect(r.status, r.stdout).toBe(7);
      // The change, then its restore: one revision each, although every answer was lost.
      expect(platformRecord(platform, id).revision - before).toBe(2);
      const planned = await svcAsync(["plan", "--detailed-exitcode", "-f", MANIFEST], {
        env: { ...base, VERSION: "1.0", SMOKE: "" },
      });
      expect(planned.stdout).toContain("No changes.");
    }
  }, 300_000);
});
