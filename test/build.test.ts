import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envVar } from "../src/credentials/names.js";
import type { RunningPlatform } from "../src/local/server/start.js";
import { svcAsync } from "./support/cli.js";
import { docker, engineAvailable, writeBusyboxContext } from "./support/engine.js";
import {
  createService,
  eventually,
  page,
  platformRecord,
  startTestPlatform,
} from "./support/local-platform.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";
import { expectMatchesSchema } from "./support/schemas.js";

const ready = (await engineAvailable("the build suite")) && registryAvailable("the build suite");

/**
 * `build:` end to end on the real engine, offline: a Dockerfile FROM scratch with busybox-static,
 * built, pushed to a registry with htpasswd auth, deployed by digest on the local platform.
 */
describe.skipIf(!ready)("building images from the repository", () => {
  let platform: RunningPlatform;
  let registry: TestRegistry;
  let repo: string;
  let env: Record<string, string>;
  let serviceId: string;

  const write = (path: string, text: string) => writeFileSync(join(repo, path), text);
  const outputs: string[] = [];
  const run = async (...args: string[]) => {
    const r = await svcAsync(args, { cwd: repo, env });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const served = (text: string) => {
    const port = platformRecord(platform, serviceId).hostPort("web", 8080);
    return eventually(async () =>
      (await page(`http://127.0.0.1:${port}/`))?.includes(text) ? true : undefined,
    );
  };

  beforeAll(async () => {
    registry = await startRegistry(5400 + Number(process.env.VITEST_POOL_ID ?? 1));
    platform = await startTestPlatform();
    const service = await createService(platform, { units: 1 });
    serviceId = service.id;
    repo = mkdtempSync(join(tmpdir(), "svc-build-"));
    mkdirSync(join(repo, ".git"));
    writeBusyboxContext(join(repo, "web"), "built by svc, first\n");
    write("web/.dockerignore", "notes.txt\n");
    write("web/notes.txt", "not part of the image\n");
    write(
      "service.yaml",
      `apiVersion: svc/v1\nkind: Service\nmetadata: { name: built }\nspec:\n  target: built\n  containers:\n    - name: web\n      image: ${registry.host}/team/web\n      build: ./web\n      ports: [8080]\n`,
    );
    env = {
      SVC_TOKEN_BUILT: service.token,
      [envVar("registry", registry.host)]: `${registry.username}:${registry.password}`,
      SVC_HOME: join(repo, ".home"),
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    };
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
    registry?.stop();
  });

  it("builds, pushes with the registry login and deploys by digest; a second plan is No changes and builds nothing", async () => {
    const plan = await run("plan", "--detailed-exitcode");
    expect(plan.stderr).toBe("");
    expect(plan.status).toBe(2);
    expect(plan.stdout).toMatch(
      /build web \(context sha256:[0-9a-f]{12}\) → 127\.0\.0\.1:\d+\/team\/web:svc-[0-9a-f]{24}/,
    );

    const applied = await run("apply", "--auto-approve");
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);
    expect(applied.stdout).toContain("building web (context sha256:");
    expect(applied.stdout).toMatch(/pushed 127\.0\.0\.1:\d+\/team\/web@sha256:[0-9a-f]{64}/);
    expect(await served("built by svc, first")).toBe(true);
    const status = JSON.parse((await run("status", "built", "--json")).stdout);
    expect(status.targets[0].containers[0].image).toMatch(
      /^127\.0\.0\.1:\d+\/team\/web@sha256:[0-9a-f]{64}$/,
    );

    const images = (await docker.listImages()).length;
    const again = await run("plan", "--detailed-exitcode");
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("No changes.");
    expect(again.stdout).not.toContain("build web");
    const reapplied = await run("apply", "--auto-approve");
    expect(reapplied.status).toBe(0);
    expect(reapplied.stdout).not.toContain("building");
    expect((await docker.listImages()).length).toBe(images);
  }, 120_000);

  it("a file excluded by .dockerignore changes nothing; a file in the context plans a build and an image update", async () => {
    write("web/notes.txt", "edited, still ignored\n");
    expect((await run("plan", "--detailed-exitcode")).status).toBe(0);

    write("web/www/index.html", "built by svc, second\n");
    const plan = await run("plan", "--detailed-exitcode");
    expect(plan.status).toBe(2);
    expect(plan.stdout).toContain("build web (context sha256:");
    expect(plan.stdout).toMatch(
      /~ containers\.web\.image: "127\.0\.0\.1:\d+\/team\/web@sha256:[0-9a-f]{64}" → "127\.0\.0\.1:\d+\/team\/web:svc-/,
    );
    const applied = await run("apply", "--auto-approve");
    expect(applied.status).toBe(0);
    expect(await served("built by svc, second")).toBe(true);
  }, 120_000);

  it("a failing RUN step stops the service before any platform call, with the step's output", async () => {
    const before = platformRecord(platform, serviceId).revision;
    write(
      "web/Dockerfile",
      'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo the-step-said-this; exit 3"]\n',
    );
    const applied = await run("apply", "--auto-approve");
    expect(applied.status).toBe(1);
    expect(applied.stdout).toContain("the-step-said-this");
    expect(applied.stdout).toMatch(/building 127\.0\.0\.1:\d+\/team\/web:svc-[0-9a-f]{24} failed/);
    expect(platformRecord(platform, serviceId).revision).toBe(before);
    expect(await served("built by svc, second")).toBe(true);
  }, 120_000);

  it("a wrong registry password is a clear error naming the registry, and never printed", async () => {
    write(
      "web/Dockerfile",
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nENTRYPOINT ["/bin/busybox"]\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    );
    write("web/www/index.html", "built by svc, third\n");
    const wrong = "Wr0ng-registry-pw-8812";
    const bad = { ...env, [envVar("registry", registry.host)]: `${registry.username}:${wrong}` };
    for (const args of [["plan"], ["apply", "--auto-approve"], ["apply", "--auto-approve", "--json"]]) {
      const r = await svcAsync(args, { cwd: repo, env: bad });
      expect(r.status, args.join(" ")).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toContain(`the registry ${registry.host} refused the login`);
      expect(`${r.stdout}${r.stderr}`).not.toContain(wrong);
    }
  }, 120_000);

  it("svc build builds and pushes without deploying, once per context; its images are what plan deploys", async () => {
    const first = await run("build", "--json");
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const built = JSON.parse(first.stdout);
    expectMatchesSchema("build-result.schema.json", built);
    expect(built.images).toEqual([
      expect.objectContaining({ service: "built", container: "web", context: "web", built: true }),
    ]);
    const again = JSON.parse((await run("build", "--json")).stdout);
    expect(again.images[0]).toMatchObject({
      built: false,
      image: built.images[0].image,
      hash: built.images[0].hash,
    });
    // Already in the registry: the plan deploys it by digest and builds nothing.
    const plan = await run("plan");
    expect(plan.stdout).not.toContain("build web");
    expect(plan.stdout).toContain(`→ "${built.images[0].image}"`);
  }, 120_000);

  it("never prints the registry password", () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const out of outputs) expect(out).not.toContain(registry.password);
  });
});
