import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  API_MODES,
  createService,
  helloManifest,
  type ServiceApi,
  startTestPlatform,
} from "./support/local-platform.js";

const hasEngine = await engineAvailable("the orphans suite");

/** A repository with an origin remote (whose URL carries a password svc must never show). */
function repository(origin: string, services: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "svc-repo-"));
  mkdirSync(join(root, ".git"));
  writeFileSync(join(root, ".git", "config"), `[remote "origin"]\n\turl = ${origin}\n`);
  for (const [name, target] of Object.entries(services)) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, "service.yaml"), helloManifest(name, target));
  }
  return root;
}

describe.runIf(hasEngine).each(API_MODES)("services whose manifest is gone (--api %s)", (mode) => {
  const extended = mode === "extended";
  let platform: RunningPlatform & { home: string };
  let apis: Record<string, ServiceApi>;
  let env: Record<string, string>;
  let repo: string;
  const ta = `oa-${mode}`;
  const tb = `ob-${mode}`;
  const svc = (...args: string[]) => svcAsync(args, { env });

  beforeAll(async () => {
    await ensureExampleImages();
    platform = await startTestPlatform({ api: mode });
    const a = await createService(platform, { units: 1, name: ta });
    const b = await createService(platform, { units: 1, name: tb });
    apis = { [ta]: a.api, [tb]: b.api };
    env = {
      [`SVC_TOKEN_${ta.toUpperCase().replace(/-/g, "_")}`]: a.token,
      [`SVC_TOKEN_${tb.toUpperCase().replace(/-/g, "_")}`]: b.token,
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    };
    repo = repository("https://deploy:hunter2-pw@git.example.com/acme/shop.git", { a: ta, b: tb });
    const applied = await svc("apply", "--auto-approve", repo);
    expect(applied.status, applied.stdout + applied.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("marks what it deploys with the manifest and the repository (never the remote's password)", async () => {
    const service = await apis[ta]?.call<{ labels?: Record<string, string> }>(
      "GET",
      "/api/v1/k8s/userService",
    );
    if (extended) {
      expect(service?.body.labels).toEqual({
        "svc.dev/manifest": "a",
        "svc.dev/repository": "https://git.example.com/acme/shop",
      });
    } else expect(service?.body.labels).toBeUndefined(); // real providers keep no labels to read back
  });

  it("reports a service whose manifest was removed, plans stopping it with --prune, and apply --prune stops it", async () => {
    rmSync(join(repo, "b"), { recursive: true });
    const planned = await svc("plan", "--detailed-exitcode", repo);
    const outputs = [planned.stdout, planned.stderr];
    if (!extended) {
      // No marks to read: nothing is reported, and the rest plans as usual.
      expect(planned.status).toBe(0);
      expect(planned.stdout).not.toContain("orphaned");
      return;
    }
    expect(planned.status).toBe(2);
    expect(planned.stdout).toContain(
      `? b (target ${tb}) orphaned: its manifest is gone from https://git.example.com/acme/shop`,
    );
    const pruning = await svc("plan", "--prune", repo);
    outputs.push(pruning.stdout, pruning.stderr);
    expect(pruning.stdout).toContain(`~ b (target ${tb}) will be updated in place`);
    expect(pruning.stdout).toContain("1. stop: its manifest is gone from https://git.example.com/acme/shop");
    expect(pruning.stdout).toContain(`destructive: b stops on target ${tb}`);

    const refused = await svc("apply", "--prune", "--auto-approve", repo);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("Try this: add --allow-destructive");
    const stopped = await svc("apply", "--prune", "--auto-approve", "--allow-destructive", repo);
    expect(stopped.status, stopped.stdout + stopped.stderr).toBe(0);
    outputs.push(refused.stdout, refused.stderr, stopped.stdout, stopped.stderr);
    const status = await apis[tb]?.call<{ status: string }>("GET", "/api/v1/k8s/userService");
    expect(status?.body.status).toBe("ServiceStop");

    const after = await svc("plan", "--detailed-exitcode", repo);
    expect(after.status).toBe(0);
    expect(after.stdout).toContain(
      `? b (target ${tb}) orphaned: its manifest is gone from https://git.example.com/acme/shop (stopped)`,
    );
    for (const text of [...outputs, after.stdout]) expect(text).not.toContain("hunter2-pw");
  });

  it("warns before a manifest from another repository replaces what a target runs", async () => {
    const other = repository("git@git.example.com:acme/other.git", { c: ta });
    const planned = await svc("plan", other);
    expect(planned.status).toBe(0);
    if (extended)
      expect(planned.stdout).toContain(
        `warning: target ${ta} runs a from another repository (https://git.example.com/acme/shop): applying replaces it with c`,
      );
    else expect(planned.stdout).not.toContain("from another repository");
  });
});
