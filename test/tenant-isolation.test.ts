import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localPaths } from "../src/local/paths.js";
import { type RunningPlatform, startLocalPlatform } from "../src/local/server/start.js";
import { docker, engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  createService,
  eventually,
  type ServiceApi,
  startTestPlatform,
  workerPortRange,
} from "./support/local-platform.js";

/**
 * Two tenants whose names used to collide in the engine (service `x` with container `prod-db`,
 * service `x-prod` with container `db`): nothing of one may reach the other — logs, usage, state,
 * storage — before or after the platform restarts and reconciles.
 */
const hasEngine = await engineAvailable("the tenant isolation suite");

const tenant = (who: string, container: string) => ({
  containers: [
    {
      name: container,
      imageName: "svc-examples/hello:1.0",
      ports: [{ containerPort: 8080 }],
      envs: [{ name: "WHO", value: who }],
      mountPath: "/data",
      command: [
        "/bin/sh",
        "-c",
        'echo "I am $WHO"; [ -f /data/who ] || echo "$WHO" > /data/who; exec /bin/httpd -f -p 8080 -h /www',
      ],
    },
  ],
});

describe.runIf(hasEngine)("tenants with colliding names on one local platform", () => {
  let platform: RunningPlatform & { home: string };
  let x: ServiceApi;
  let xProd: ServiceApi;
  const storageOf = async (serviceId: string, container: string) => {
    const [c] = await docker.listContainers({
      filters: { label: [`dev.svc.service=${serviceId}`, `dev.svc.container=${container}`] },
    });
    const exec = await docker
      .getContainer(c?.Id as string)
      .exec({ Cmd: ["cat", "/data/who"], AttachStdout: true });
    const stream = await exec.start({});
    // The engine frames stdout and stderr together: demultiplex, keep stdout.
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (b: Buffer) => chunks.push(b));
    docker.modem.demuxStream(stream, out, new PassThrough());
    await new Promise((resolve) => stream.on("end", resolve));
    return Buffer.concat(chunks).toString("utf8");
  };

  beforeAll(async () => {
    await ensureExampleImages();
    platform = await startTestPlatform({ api: "extended" });
    x = (await createService(platform, { units: 1, persistStorage: true, name: "x" })).api;
    xProd = (await createService(platform, { units: 1, persistStorage: true, name: "x-prod" })).api;
    expect((await x.call("POST", "/api/v1/k8s/deployment", tenant("tenant-x", "prod-db"))).status).toBe(200);
    expect((await xProd.call("POST", "/api/v1/k8s/deployment", tenant("tenant-x-prod", "db"))).status).toBe(
      200,
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("each runs its own container, writes its own logs and reports its own usage", async () => {
    const logs = async (api: ServiceApi, container: string) =>
      (await api.call<string>("GET", `/api/v1/k8s/pod/logs?container=${container}&tail=50&follow=false`))
        .body;
    await eventually(async () => ((await logs(x, "prod-db")).includes("I am tenant-x") ? true : undefined));
    await eventually(async () =>
      (await logs(xProd, "db")).includes("I am tenant-x-prod") ? true : undefined,
    );
    expect(await logs(x, "prod-db")).not.toContain("tenant-x-prod");
    // Neither can name the other's container.
    expect((await x.call("GET", "/api/v1/k8s/pod/logs?container=db&tail=5")).status).toBe(404);
    expect((await xProd.call("GET", "/api/v1/k8s/pod/logs?container=prod-db&tail=5")).status).toBe(404);
    const usage = await x.call<{ memory: Record<string, unknown> }>(
      "GET",
      "/api/v1/monitor?allTypes=True&allContainers=True",
    );
    expect(Object.keys(usage.body.memory)).toEqual(["prod-db"]);
  });

  it("each has its own storage volume, also after the platform restarts and reconciles", async () => {
    await eventually(async () =>
      (await storageOf("x", "prod-db")).trim() === "tenant-x" ? true : undefined,
    );
    expect((await storageOf("x-prod", "db")).trim()).toBe("tenant-x-prod");

    await platform.close(false);
    const restarted = await startLocalPlatform({
      paths: localPaths({ SVC_HOME: platform.home }),
      apiPort: 0,
      httpPort: 0,
      httpsPort: 0,
      hostPortRange: workerPortRange(),
    });
    platform = { ...restarted, home: platform.home };
    const notices = [
      ...restarted.platform.store.notices("x", 1, 50).notices,
      ...restarted.platform.store.notices("x-prod", 1, 50).notices,
    ].map((n) => n.type);
    expect(notices).not.toContain("ReconcileFailed");
    expect((await storageOf("x", "prod-db")).trim()).toBe("tenant-x");
    expect((await storageOf("x-prod", "db")).trim()).toBe("tenant-x-prod");
  }, 120_000);
});
