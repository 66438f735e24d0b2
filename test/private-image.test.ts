import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { docker, engineAvailable, ensureExampleImages } from "./support/engine.js";
import { createService, eventually, page, startTestPlatform } from "./support/local-platform.js";
import { pushPrivate, registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

const ready =
  (await engineAvailable("the private image suite")) && registryAvailable("the private image suite");

describe.skipIf(!ready)("private images from a registry with htpasswd auth", () => {
  let platform: RunningPlatform;
  let registry: TestRegistry;
  let image: string;

  beforeAll(async () => {
    await ensureExampleImages();
    registry = await startRegistry(5100 + Number(process.env.VITEST_POOL_ID ?? 1));
    image = await pushPrivate(registry, "svc-examples/hello:1.0", `private/hello-${Date.now()}:1.0`);
    platform = await startTestPlatform();
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
    registry?.stop();
  });

  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const deployment = (password: string) => ({
    containers: [
      {
        name: "web",
        imageName: image,
        ports: [{ containerPort: 8080 }],
        command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
      },
    ],
    pvtLogin: [{ username: registry.username, password }],
  });

  it("refuses a wrong password with a clear error that does not echo it", async () => {
    const { api } = await createService(platform, { units: 1 });
    const [repo, tag] = image.split(/:(?=[^:]+$)/) as [string, string];
    const preflight = await api.call("GET", `/api/v1/k8s/images?image=${repo}&tag=${tag}`, undefined, {
      username: b64(registry.username),
      password: b64("wrong-password-123"),
    });
    expect(preflight.status).toBe(404);

    const r = await api.call<{ error: { code: number; message: string } }>(
      "POST",
      "/api/v1/k8s/deployment",
      deployment("wrong-password-123"),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(
      /^cannot pull 127\.0\.0\.1:\d+\/private\/hello-\d+:1\.0: .*(unauthorized|authentication required)/i,
    );
    expect(JSON.stringify(r.body)).not.toContain("wrong-password-123");
    expect((await api.call("GET", "/api/v1/k8s/deployment/info")).status).toBe(404);
  });

  it("pulls and runs it with the right login", async () => {
    const { api } = await createService(platform, { units: 1 });
    const [repo, tag] = image.split(/:(?=[^:]+$)/) as [string, string];
    const preflight = await api.call("GET", `/api/v1/k8s/images?image=${repo}&tag=${tag}`, undefined, {
      username: b64(registry.username),
      password: b64(registry.password),
    });
    expect(preflight.status).toBe(200);

    const r = await api.call("POST", "/api/v1/k8s/deployment", deployment(registry.password));
    expect(r.status).toBe(200);
    const info = await api.call<{ containers: { ports: { hostPort: number }[] }[] }>(
      "GET",
      "/api/v1/k8s/deployment/info",
    );
    const port = info.body.containers[0]?.ports[0]?.hostPort;
    expect(await eventually(() => page(`http://127.0.0.1:${port}/`))).toContain("Hello from svc");
    await expect(docker.getImage(image).inspect()).resolves.toBeTruthy();
  });

  it("another tenant can neither see nor run the private image the engine now holds, without a login that works", async () => {
    const { api } = await createService(platform, { units: 1 });
    const [repo, tag] = image.split(/:(?=[^:]+$)/) as [string, string];
    const seen = await api.call("GET", `/api/v1/k8s/images?image=${repo}&tag=${tag}`, undefined, {
      username: "",
      password: "",
    });
    expect(seen.status).toBe(404);
    const { pvtLogin: _, ...noLogin } = deployment("");
    const run = await api.call<{ error: { message: string } }>("POST", "/api/v1/k8s/deployment", noLogin);
    expect(run.status).toBe(400);
    expect(run.body.error.message).toContain("is private: send a registry login that can pull it");
    const wrong = await api.call("POST", "/api/v1/k8s/deployment", deployment("wrong-password-456"));
    expect(wrong.status).toBe(400);
    expect((await api.call<{ status: string }>("GET", "/api/v1/k8s/userService")).body.status).toBe(
      "ServicePending",
    );
    // With its own working login, it may.
    expect((await api.call("POST", "/api/v1/k8s/deployment", deployment(registry.password))).status).toBe(
      200,
    );
  });
});
