import { readdirSync, statSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { svcAsync } from "./support/cli.js";
import { docker, engineAvailable, ensureExampleImages } from "./support/engine.js";
import { createService, manyServices, platformRecord, startTestPlatform } from "./support/local-platform.js";

/** The local platform as a security review would try it: concurrency, refusals, bad input, exposure. */
const hasEngine = await engineAvailable("the platform hardening suite");

describe.runIf(hasEngine)("local platform under hostile or concurrent use", () => {
  let platform: RunningPlatform & { home: string };
  beforeAll(async () => {
    await ensureExampleImages();
    platform = await startTestPlatform({ api: "real" });
  }, 120_000);
  afterAll(async () => {
    // Some 60 pods to remove.
    await platform?.close(true);
  }, 180_000);

  it("30 services applied at once: all run, each on its own host port, then No changes", async () => {
    const { dir, env, apis } = await manyServices(platform, 30);
    const r = await svcAsync(["apply", "--auto-approve", "--parallelism", "30", dir], { env });
    expect(r.stdout).toContain("Applied 30 services.");
    expect(r.status).toBe(0);
    const ports = await Promise.all(
      apis.map(async (api) => {
        const { id } = (await api.call<{ id: string }>("GET", "/api/v1/k8s/userService")).body;
        return platformRecord(platform, id);
      }),
    );
    expect(new Set(ports.map((p) => p.hostPort("web"))).size).toBe(30);
    // Not even once was a port handed out twice (the engine would have refused the second).
    expect(ports.flatMap((p) => p.notices).filter((n) => n === "DeployFailed")).toEqual([]);
    const again = await svcAsync(["plan", dir, "--detailed-exitcode"], { env });
    expect(again.stdout).toContain("No changes. The live state matches the manifests (30 services).");
    expect(again.status).toBe(0);
  }, 240_000);

  it("30 deploy calls at the same instant never share an assigned host port", async () => {
    const services = await Promise.all(
      Array.from({ length: 30 }, () => createService(platform, { units: 1 })),
    );
    const answers = await Promise.all(
      services.map(({ api }) =>
        api.call("POST", "/api/v1/k8s/deployment", {
          containers: [
            {
              name: "web",
              imageName: "svc-examples/hello:1.0",
              ports: [{ containerPort: 8080 }],
              command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
            },
          ],
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    const records = services.map(({ id }) => platformRecord(platform, id));
    expect(new Set(records.map((r) => r.hostPort("web"))).size).toBe(30);
    expect(records.flatMap((r) => r.notices).filter((n) => n === "DeployFailed")).toEqual([]);
  }, 120_000);

  it("an engine refusal fails the call and leaves no record of a deployment that never ran", async () => {
    const { api, id } = await createService(platform, { units: 1, specifiedPort: true });
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as net.AddressInfo).port)),
    );
    try {
      const r = await api.call("POST", "/api/v1/k8s/deployment", {
        containers: [
          {
            name: "web",
            imageName: "svc-examples/hello:1.0",
            ports: [{ containerPort: 8080, hostPort: port }],
            command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
          },
        ],
      });
      expect(r.status).toBeGreaterThanOrEqual(500);
      expect((await api.call<{ status: string }>("GET", "/api/v1/k8s/userService")).body.status).toBe(
        "ServicePending",
      );
      expect(platformRecord(platform, id).revision).toBe(0);
      expect(platformRecord(platform, id).notices).toContain("DeployFailed");
    } finally {
      blocker.close();
    }
  });

  it("validates paths before recording anything", async () => {
    const { api, id } = await createService(platform, { units: 1, persistStorage: true });
    for (const bad of [
      { mountPath: "/proc/self" },
      { mountPath: "/" },
      { mountPath: "/data/../../etc" },
      { mountPath: "/data", configMap: { "/etc/x:rw": "a" } },
      { mountPath: "/data", configMap: { "relative/path": "a" } },
    ]) {
      const r = await api.call("POST", "/api/v1/k8s/deployment", {
        containers: [{ name: "web", imageName: "svc-examples/hello:1.0", ...bad }],
      });
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect(platformRecord(platform, id).revision).toBe(0);
  });

  it("authenticates before it reads the body, and refuses absurd paging with 400", async () => {
    const anonymous = await fetch(`${platform.info.apiUrl}/api/v1/k8s/deployment`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ not: "a deployment" }),
    });
    expect(anonymous.status).toBe(401);
    const notices = await fetch(
      `${platform.info.apiUrl}/api/v1/k8s/notice?current=999999999999&pageSize=10`,
      {
        headers: { address: "wallet" },
      },
    );
    expect(notices.status).toBe(400);
  });

  it("refuses a body with a key naming a prototype, at any depth, recording nothing", async () => {
    const { api, id } = await createService(platform, { units: 1, persistStorage: true });
    const container = '{"name":"web","imageName":"svc-examples/hello:1.0","mountPath":"/data"';
    for (const body of [
      `{"containers":[${container}}],"__proto__":{"polluted":true}}`,
      `{"containers":[${container},"envs":[{"name":"A","value":"1","constructor":{"prototype":{"x":1}}}]}]}`,
      `{"containers":[${container},"configMap":{"prototype":"x"}}]}`,
    ]) {
      const r = await fetch(`${api.url}/api/v1/k8s/deployment`, {
        method: "POST",
        headers: { secret: api.secret, "content-type": "application/json" },
        body,
      });
      expect(r.status, body).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(
        /^the body has a key "(__proto__|constructor|prototype)", which no request may carry$/,
      );
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(platformRecord(platform, id).revision).toBe(0);
  });

  it("keeps its state directory to its owner: every directory 0700, every file 0600; config files only in the container, 0444", async () => {
    const { api, id } = await createService(platform, { units: 1, persistStorage: true });
    const deployed = await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "web",
          imageName: "svc-examples/hello:1.0",
          mountPath: "/data",
          command: ["/bin/sh", "-c", "exec sleep 3600"],
          configMap: { "/etc/app.conf": "password=not-for-other-users\n" },
        },
      ],
    });
    expect(deployed.status).toBe(200);
    const modes: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const mode = (statSync(path).mode & 0o777).toString(8);
        const expected = entry.isDirectory() ? "700" : "600";
        if (mode !== expected) modes.push(`${path}: ${mode}, expected ${expected}`);
        if (entry.isDirectory()) walk(path);
      }
    };
    walk(platform.home);
    expect(modes).toEqual([]);
    // The database and the CA were there to be checked; the config file is in the container only.
    const names = readdirSync(join(platform.home, "local"));
    expect(names).toEqual(expect.arrayContaining(["platform.db", "server.json", "ca"]));
    const [app] = await docker.listContainers({
      filters: { label: [`dev.svc.service=${id}`, "dev.svc.role=app"] },
    });
    // Read as a user that is not root, as an image's own user would.
    const run = await docker.getContainer(app?.Id as string).exec({
      Cmd: ["/bin/sh", "-c", "stat -c %a /etc/app.conf; cat /etc/app.conf"],
      User: "65534:65534",
      AttachStdout: true,
      AttachStderr: true,
    });
    const chunks: Buffer[] = [];
    const stream = await run.start({});
    await new Promise((resolve) => {
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", resolve);
    });
    const seen = Buffer.concat(chunks).toString("latin1");
    expect(seen).toContain("444");
    expect(seen).toContain("password=not-for-other-users");
  });

  it("publishes containers' ports on 127.0.0.1 only, and never probes privileged host ports", async () => {
    const pods = await docker.listContainers({ filters: { label: ["dev.svc.role=pod"] } });
    const bindings: string[] = [];
    for (const infra of pods) {
      const published = (await docker.getContainer(infra.Id).inspect()).HostConfig.PortBindings ?? {};
      bindings.push(
        ...Object.values(published)
          .flat()
          .map((b) => (b as { HostIp: string }).HostIp),
      );
    }
    expect(bindings.length).toBeGreaterThan(0);
    expect(new Set(bindings)).toEqual(new Set(["127.0.0.1"]));
    const check = await fetch(`${platform.info.apiUrl}/api/v1/k8s/checkports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ports: [22] }),
    });
    expect(await check.json()).toEqual({ status: "Occupied" });
  });
});
