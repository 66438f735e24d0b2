import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { repoRoot, svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  API_MODES,
  createService,
  eventually,
  page,
  platformRecord,
  startTestPlatform,
} from "./support/local-platform.js";

const hasEngine = await engineAvailable("the convert-and-apply suite");

/** A converted compose project is not just valid: applied on the local platform, it answers. */
describe.runIf(hasEngine).each(API_MODES)("svc convert, then svc apply (--api %s)", (mode) => {
  let platform: RunningPlatform;

  beforeAll(async () => {
    await ensureExampleImages();
    platform = await startTestPlatform({ api: mode });
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("compose-offline: converted, applied, every published port answers", async () => {
    const { id, token } = await createService(platform, { units: 4, persistStorage: true });
    const out = join(mkdtempSync(join(tmpdir(), "svc-convert-apply-")), "service.yaml");
    const env = { SVC_TOKEN_OFFLINE: token, DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent" };
    const converted = await svcAsync(
      [
        "convert",
        join(repoRoot, "test/fixtures/convert/compose-offline/docker-compose.yml"),
        "-o",
        out,
        "--target",
        "offline",
      ],
      { env },
    );
    expect(converted.status, converted.stderr).toBe(0);
    const applied = await svcAsync(["apply", "-f", out, "--auto-approve"], { env });
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);
    const record = platformRecord(platform, id);
    for (const [container, port, path, text] of [
      ["front", 80, "/", "Shop front"],
      ["api", 9000, "/cgi-bin/health", "ok version"],
    ] as const) {
      const host = record.hostPort(container, port);
      expect(host, container).toBeGreaterThan(0);
      const body = await eventually(() => page(`http://127.0.0.1:${host}${path}`));
      expect(body).toContain(text);
    }
    expect((await svcAsync(["plan", "-f", out, "--detailed-exitcode"], { env })).status).toBe(0);
  }, 180_000);

  it("compose-grouped: a web and a worker of one image become two services; both apply, the web answers, the worker has the database's address", async () => {
    const web = await createService(platform, { units: 4 });
    const worker = await createService(platform, { units: 4 });
    const dir = join(mkdtempSync(join(tmpdir(), "svc-convert-grouped-")), "svc");
    const env = {
      SVC_TOKEN_SHOP_WEB: web.token,
      SVC_TOKEN_SHOP_WORKER: worker.token,
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      // The database runs in shop-web: on this machine, its host port answers on 127.0.0.1.
      DB_HOST: "127.0.0.1",
    };
    const converted = await svcAsync(
      [
        "convert",
        join(repoRoot, "test/fixtures/convert/compose-grouped/docker-compose.yml"),
        "-o",
        dir,
        "--name",
        "shop",
        "--target",
        "shop",
      ],
      { env },
    );
    expect(converted.status, converted.stdout + converted.stderr).toBe(0);
    expect(converted.stdout + converted.stderr).toContain("3 compose services need 2 pods");
    const applied = await svcAsync(["apply", dir, "--auto-approve"], { env });
    expect(applied.stderr, applied.stdout).toBe("");
    expect(applied.status, applied.stdout).toBe(0);
    const host = platformRecord(platform, web.id).hostPort("web", 8080);
    expect(await eventually(() => page(`http://127.0.0.1:${host}/`))).toContain("Hello from svc");
    const db = platformRecord(platform, web.id).hostPort("db", 9000);
    expect(await eventually(() => page(`http://127.0.0.1:${db}/cgi-bin/health`))).toContain("ok version");
    expect(platformRecord(platform, worker.id).hostPort("worker", 7070)).toBeUndefined();
    expect((await svcAsync(["plan", dir, "--detailed-exitcode"], { env })).status).toBe(0);
  }, 240_000);
});
