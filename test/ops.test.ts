import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { decodeToken, encodeToken } from "../src/platform/token.js";
import { repoRoot, svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import { keyringAvailable, startKeyring, type TestKeyring } from "./support/keyring.js";
import {
  API_MODES,
  createService,
  eventually,
  page,
  platformRecord,
  startTestPlatform,
} from "./support/local-platform.js";
import { expectMatchesSchema } from "./support/schemas.js";

/**
 * A directory svc takes for another clone of this repository (same origin, or same name): where
 * an exported manifest is kept, it plans against the marks examples/shop left as No changes.
 */
function cloneOfThisRepository(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "svc-export-")), basename(repoRoot));
  mkdirSync(join(dir, ".git"), { recursive: true });
  const config = join(repoRoot, ".git", "config");
  if (existsSync(config)) copyFileSync(config, join(dir, ".git", "config"));
  return dir;
}

const ready = (await engineAvailable("the day-two suite")) && keyringAvailable("the day-two suite");
const DB_PASSWORD = "ops-db-pass-5521";

describe.runIf(ready).each(API_MODES)("day-two commands against a running service (--api %s)", (mode) => {
  let platform: RunningPlatform & { home: string };
  let keyring: TestKeyring;
  let id: string;
  let env: Record<string, string>;
  const extended = mode === "extended";
  const svc = (...args: string[]) => svcAsync(args, { env });
  const fits80 = (text: string) => text.split("\n").filter((l) => l.length > 80);

  beforeAll(async () => {
    await ensureExampleImages();
    keyring = startKeyring();
    platform = await startTestPlatform({ api: mode });
    const created = await createService(platform, { units: 8, persistStorage: true, specifiedPort: true });
    id = created.id;
    env = { ...keyring.env, SVC_TOKEN_LOCAL: created.token, SVC_SECRET_SHOP_DB_PASSWORD: DB_PASSWORD };
    const applied = await svcAsync(["apply", "--auto-approve", "examples/shop"], { env });
    expect(applied.status).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await platform?.close(true);
    keyring?.stop();
  });

  it("status shows containers, state, ports and domains, in 80 columns and as JSON", async () => {
    const human = await svc("status", "local");
    expect(human.status).toBe(0);
    // Assigned host ports and expiry only where the provider shows them; never "undefined".
    expect(human.stdout).toMatch(
      extended
        ? /^api\s+svc-examples\/shop-api:1\.0\s+running\s+0\s+\d+->9000\/tcp$/m
        : /^api\s+svc-examples\/shop-api:1\.0\s+running\s+0\s+9000\/tcp$/m,
    );
    expect(human.stdout).toContain(extended ? "expires 20" : "expiry unknown");
    expect(human.stdout).not.toContain("undefined");
    expect(human.stdout).toContain("domain shop.example.test -> 80 (https)");
    expect(fits80(human.stdout)).toEqual([]);
    const json = JSON.parse((await svc("status", "local", "--json")).stdout);
    expectMatchesSchema("status-result.schema.json", json);
    expect(
      json.targets[0].containers.map((c: { name: string; state: string }) => `${c.name}:${c.state}`),
    ).toEqual(["api:running", "web:running"]);
  });

  it("status with no target uses the manifests in the current directory", async () => {
    const r = await svcAsync(["status", "--json"], { env, cwd: join(repoRoot, "examples/shop") });
    expect(JSON.parse(r.stdout).targets.map((t: { target: string }) => t.target)).toEqual(["local"]);
  });

  it("logs without -f prints the last lines and returns; -f shows new lines as they are written", async () => {
    const webPort = platformRecord(platform, id).hostPort("web");
    for (let i = 0; i < 3; i++) await page(`http://127.0.0.1:${webPort}/absent-${i}`);
    const tail = await eventually(async () => {
      const r = await svc("logs", "local", "web", "--tail", "2");
      return r.stdout.split("\n").filter((l) => l.includes("response:404")).length === 2 ? r : undefined;
    });
    expect(tail.status).toBe(0);
    expect(tail.stdout.trim().split("\n")).toHaveLength(2);

    const child = spawn(
      process.execPath,
      [join(repoRoot, "bin/run.js"), "logs", "local", "web", "-f", "--tail", "0"],
      {
        env: { ...process.env, ...env },
      },
    );
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    const notFound = () => out.split("\n").filter((l) => l.includes("response:404")).length;
    try {
      // Each request for a missing page makes busybox httpd -v write a "response:404" line.
      await eventually(async () => {
        await page(`http://127.0.0.1:${webPort}/missing-${Date.now()}`);
        return notFound() >= 2 ? true : undefined;
      });
    } finally {
      child.kill("SIGINT");
    }
    expect(notFound()).toBeGreaterThanOrEqual(2);
  });

  it("logs, top and restart with no TARGET act on the manifests' target; one name that is no target is a container", async () => {
    const shop = { env, cwd: join(repoRoot, "examples/shop") };
    // web has logged requests (the logs test above): `web` alone is that container of local.
    const logs = await svcAsync(["logs", "web", "--tail", "2"], shop);
    expect(logs.stderr).toBe("");
    expect(logs.status).toBe(0);
    expect(logs.stdout.trim().split("\n")).toHaveLength(2);
    expect((await svcAsync(["logs", "local", "web", "--tail", "2"], shop)).stdout).toBe(logs.stdout);
    const lines = (await svcAsync(["logs", "web", "--tail", "2", "--json"], shop)).stdout.trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).line)).toEqual(logs.stdout.trim().split("\n"));
    for (const line of lines) {
      expectMatchesSchema("logs-line.schema.json", JSON.parse(line));
      expect(JSON.parse(line)).toMatchObject({ target: "local", container: "web" });
    }
    const top = await svcAsync(["top", "--json"], shop);
    expect(JSON.parse(top.stdout).target).toBe("local");
    const restarted = await svcAsync(["restart", "--yes", "--json"], shop);
    expectMatchesSchema("lifecycle-result.schema.json", JSON.parse(restarted.stdout));
    expect(JSON.parse(restarted.stdout)).toEqual({ target: "local", action: "restart", phase: "Running" });

    const two = mkdtempSync(join(tmpdir(), "svc-two-targets-"));
    for (const target of ["staging", "prod"]) {
      mkdirSync(join(two, target));
      writeFileSync(
        join(two, target, "service.yaml"),
        `apiVersion: svc/v1\nkind: Service\nmetadata: { name: ${target} }\nspec:\n  target: ${target}\n  containers: [{ name: a, image: busybox }]\n`,
      );
    }
    const ambiguous = await svcAsync(["top"], { env, cwd: two });
    expect(ambiguous.status).toBe(3);
    expect(ambiguous.stderr).toBe(
      "Error: the manifests below this directory deploy to 2 targets: name one\nTry this: targets here: prod, staging\n",
    );
  });

  it("with a wrong token every day-two command says so, with a hint, exit 1 — never 'This is a bug'", async () => {
    const { host } = decodeToken(env.SVC_TOKEN_LOCAL as string);
    const wrong = { ...env, SVC_TOKEN_LOCAL: encodeToken({ host, secret: "not-the-secret-42" }) };
    for (const args of [
      ["status", "local"],
      ["logs", "local", "web"],
      ["top", "local"],
      ["restart", "local", "--yes"],
      ["export", "local"],
    ]) {
      const r = await svcAsync(args, { env: wrong });
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain("the platform answered 401");
      expect(r.stderr, args.join(" ")).toContain("Try this: the token is not valid for this service");
      expect(r.stderr + r.stdout).not.toContain("This is a bug");
    }
  });

  it("top reports memory against each container's limit", async () => {
    const r = await svc("top", "local", "--json");
    expectMatchesSchema("top-result.schema.json", JSON.parse(r.stdout));
    const { containers } = JSON.parse(r.stdout);
    expect(containers.api.memory.limitValue).toBe(2 * 512 * 1024 * 1024);
    expect(fits80((await svc("top", "local")).stdout)).toEqual([]);
  });

  it("restart is no crash: counts unchanged, nothing restarted recently; pause shows paused; resume runs again; events list them", async () => {
    type Shown = { restarts: number; state: string; problem?: string };
    const containers = async (): Promise<Shown[]> =>
      JSON.parse((await svc("status", "local", "--json")).stdout).targets[0].containers;
    const before = await containers();
    expect((await svc("restart", "local")).stderr).toContain("add --yes");
    expect((await svc("restart", "local", "--yes")).status).toBe(0);
    // As a Kubernetes rollout restart: restart counts are crashes, and a restart asked for is none.
    const after = await containers();
    expect(after.map((c) => c.restarts)).toEqual(before.map((c) => c.restarts));
    expect(after.filter((c) => c.problem)).toEqual([]);
    expect((await svc("plan", "--detailed-exitcode", "examples/shop")).status).toBe(0);

    expect((await svc("pause", "local", "--yes")).status).toBe(0);
    expect((await svc("status", "local")).stdout).toMatch(/ServiceStop\s+pod Paused/);
    expect((await containers()).map((c) => c.state)).toEqual(["paused", "paused"]);
    expect((await svc("resume", "local", "--yes")).status).toBe(0);
    expect((await svc("status", "local")).stdout).toMatch(/ServiceRunning\s+pod Running/);

    if (extended) {
      const listed = JSON.parse((await svc("events", "local", "--json")).stdout);
      expectMatchesSchema("events-result.schema.json", listed);
      const events = listed.events.map((e: { type: string }) => e.type);
      expect(events.slice(0, 3)).toEqual(["Resumed", "Paused", "Restarted"]);
      expect(fits80((await svc("events", "local")).stdout)).toEqual([]);
    } else {
      // Real providers show notices only to the buyer's wallet: svc says so, no crash, no guess.
      const r = await svc("events", "local");
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("svc events is unavailable");
      expect(r.stderr).toContain("no notice-secret capability");
      expect(r.stderr).not.toContain("This is a bug");
    }
  });

  it("a paused service is not No changes: the plan shows it, apply resumes it, then No changes", async () => {
    expect((await svc("pause", "local", "--yes")).status).toBe(0);
    const planned = await svc("plan", "--detailed-exitcode", "examples/shop");
    expect(planned.status).toBe(2);
    expect(planned.stdout).toContain('~ state: "paused" → "running"');
    expect(planned.stdout).toContain(
      "1. resume: the service is paused: applying the manifest runs it [restarts]",
    );
    const applied = await svc("apply", "--auto-approve", "--json", "examples/shop");
    expect(applied.status, applied.stdout + applied.stderr).toBe(0);
    const lines = applied.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const line of lines) expectMatchesSchema("apply-event.schema.json", line);
    expect(lines.map((l) => l.type)).toEqual(["call", "called", "waiting", "done", "summary"]);
    expect((await svc("status", "local")).stdout).toMatch(/ServiceRunning\s+pod Running/);
    expect((await svc("plan", "--detailed-exitcode", "examples/shop")).status).toBe(0);
  });

  it("services lists the user services by status", async () => {
    const r = await svc("services", "--json");
    expectMatchesSchema("services-result.schema.json", JSON.parse(r.stdout));
    expect(JSON.parse(r.stdout).services).toEqual([
      expect.objectContaining({ target: "local", group: "running" }),
    ]);
  });

  it("export writes a manifest that plans as No changes, the secret kept in the keychain, not the file", async () => {
    const dir = cloneOfThisRepository();
    const file = join(dir, "service.yaml");
    const r = await svcAsync(["export", "local", "-o", file], {
      env: { ...keyring.env, SVC_TOKEN_LOCAL: env.SVC_TOKEN_LOCAL as string },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("secret local-api-db-password stored in the keychain");
    const text = readFileSync(file, "utf8");
    expect(text).toContain("secret: local-api-db-password");
    expect(text).not.toContain(DB_PASSWORD);
    expect(r.stdout).not.toContain(DB_PASSWORD);
    const plan = await svcAsync(["plan", "-f", file, "--detailed-exitcode"], {
      env: { ...keyring.env, SVC_TOKEN_LOCAL: env.SVC_TOKEN_LOCAL as string },
    });
    expect(plan.stdout).toContain("No changes.");
    expect(plan.status).toBe(0);
    // --json carries the manifest too, the same text, the secret as a reference only.
    const json = await svcAsync(["export", "local", "-o", join(dir, "again.yaml"), "--json"], {
      env: { ...keyring.env, SVC_TOKEN_LOCAL: env.SVC_TOKEN_LOCAL as string },
    });
    const result = JSON.parse(json.stdout);
    expectMatchesSchema("export-result.schema.json", result);
    expect(result.manifest).toContain("secret: local-api-db-password");
    expect(result.manifest.replace(/^# .*\n/, "")).toBe(text.replace(/^# .*\n/, ""));
    expect(json.stdout).not.toContain(DB_PASSWORD);
  });

  it("export without a keychain references a secret the environment already provides, then plans No changes", async () => {
    const noKeychain = {
      SVC_TOKEN_LOCAL: env.SVC_TOKEN_LOCAL as string,
      SVC_SECRET_SHOP_DB_PASSWORD: DB_PASSWORD,
      // A value svc holds as a secret, in a variable whose name does not look secret.
      SVC_SECRET_HELD_LEVEL: "info",
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    };
    const file = join(cloneOfThisRepository(), "service.yaml");
    const r = await svcAsync(["export", "local", "-o", file], { env: noKeychain });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("secret: shop-db-password");
    expect(readFileSync(file, "utf8")).toContain("secret: held-level");
    expect(readFileSync(file, "utf8")).not.toMatch(/LOG_LEVEL: info/);
    const plan = await svcAsync(["plan", "-f", file, "--detailed-exitcode"], { env: noKeychain });
    expect(plan.status).toBe(0);
  });
});
