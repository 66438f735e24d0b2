import { readFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNIT } from "../src/local/server/runtime.js";
import type { RunningPlatform } from "../src/local/server/start.js";
import { docker, engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  createService,
  eventually,
  page,
  type ServiceApi,
  startTestPlatform,
  workerPortRange,
} from "./support/local-platform.js";

const hasEngine = await engineAvailable("the local platform suite");

const httpd = (port: number, extra: string[] = []) => [
  "/bin/httpd",
  "-f",
  "-v",
  "-p",
  String(port),
  "-h",
  "/www",
  ...extra,
];
/** The hello page served on container port 8080: the deployment most tests start from. */
const helloWeb = {
  containers: [
    {
      name: "web",
      imageName: "svc-examples/hello:1.0",
      ports: [{ containerPort: 8080 }],
      command: httpd(8080),
    },
  ],
};

interface Info {
  containers: { name: string; imageName: string; ports: { containerPort: number; hostPort: number }[] }[];
  revision: number;
}

describe.skipIf(!hasEngine)("local platform through its HTTP API, on a real engine", () => {
  let platform: RunningPlatform & { home: string };

  beforeAll(async () => {
    await ensureExampleImages();
    platform = await startTestPlatform();
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  const hostPort = async (api: ServiceApi, container = "web", port?: number) => {
    const info = await api.call<Info>("GET", "/api/v1/k8s/deployment/info");
    const c = info.body.containers.find((x) => x.name === container);
    return (port ? c?.ports.find((p) => p.containerPort === port) : c?.ports[0])?.hostPort as number;
  };

  it("deploys a busybox httpd and serves its page on the assigned host port", async () => {
    const { api } = await createService(platform, { units: 2 });
    const deployed = await api.call("POST", "/api/v1/k8s/deployment", helloWeb);
    expect(deployed.status).toBe(200);
    const port = await hostPort(api);
    expect(port).toBeGreaterThanOrEqual(31000);
    expect(await eventually(() => page(`http://127.0.0.1:${port}/`))).toContain("version 1.0");

    const status = await api.call<{
      podStatus: { containerStatuses: { state: { running?: object } }[] };
      domains: unknown;
    }>("GET", "/api/v1/k8s/pod/status");
    expect(status.body.podStatus.containerStatuses[0]?.state.running).toBeDefined();
    expect(status.body.domains).toBeNull();

    const again = await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [{ name: "x", imageName: "y:1" }],
    });
    expect(again.status).toBe(409);
  });

  it("updates image, env and a config file, each taking effect, keeping the host port", async () => {
    const { api } = await createService(platform, { units: 2 });
    const script = 'echo "GREETING=$GREETING"; exec /bin/httpd -f -v -p 8080 -h /www';
    await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "web",
          imageName: "svc-examples/hello:1.0",
          ports: [{ containerPort: 8080 }],
          envs: [{ name: "GREETING", value: "hello" }],
          command: ["/bin/sh", "-c", script],
        },
      ],
    });
    const port = await hostPort(api);
    expect(await eventually(() => page(`http://127.0.0.1:${port}/`))).toContain("version 1.0");

    const image = await api.call("PATCH", "/api/v1/k8s/pod/images", [
      { image: "svc-examples/hello:2.0", container: "web" },
    ]);
    expect(image.status).toBe(200);
    expect(await hostPort(api)).toBe(port);
    await eventually(async () =>
      (await page(`http://127.0.0.1:${port}/`))?.includes("version 2.0") ? true : undefined,
    );

    const env = await api.call("PUT", "/api/v1/k8s/pod/update", {
      environment: { web: { GREETING: "bonjour" } },
    });
    expect(env.status).toBe(200);
    await eventually(async () => {
      const logs = await api.call<string>("GET", "/api/v1/k8s/pod/logs?container=web&follow=false");
      return logs.body.includes("GREETING=bonjour") ? true : undefined;
    });

    const config = await api.call("PUT", "/api/v1/k8s/pod/update", {
      config: { web: { "/www/index.html": "<h1>from a config file</h1>\n" } },
    });
    expect(config.status).toBe(200);
    await eventually(async () =>
      (await page(`http://127.0.0.1:${port}/`))?.includes("from a config file") ? true : undefined,
    );
    const maps = await api.call<Record<string, Record<string, string>>>(
      "GET",
      "/api/v1/k8s/pod/configmap?format=paths",
    );
    expect(maps.body.web).toEqual({ "/www/index.html": "<h1>from a config file</h1>\n" });
    const contents = await api.call<Record<string, string>>("GET", "/api/v1/k8s/pod/configmap");
    expect(contents.body).toEqual({ web: "<h1>from a config file</h1>\n" });
  });

  it("pauses, resumes and restarts the pod, with notices for each", async () => {
    const { api } = await createService(platform, { units: 1 });
    await api.call("POST", "/api/v1/k8s/deployment", helloWeb);
    const port = await hostPort(api);
    const url = `http://127.0.0.1:${port}/`;
    await eventually(() => page(url));

    expect((await api.call("POST", "/api/v1/k8s/pod/stop")).status).toBe(200);
    expect((await api.call<{ status: string }>("GET", "/api/v1/k8s/userService")).body.status).toBe(
      "ServiceStop",
    );
    expect(await page(url)).toBeUndefined();

    expect((await api.call("POST", "/api/v1/k8s/pod/start")).status).toBe(200);
    await eventually(() => page(url));

    type Status = {
      podStatus: {
        containerStatuses: { restartCount: number; state: { running?: { startedAt: string } } }[];
      };
    };
    const before = (await api.call<Status>("GET", "/api/v1/k8s/pod/status")).body.podStatus
      .containerStatuses[0];
    expect((await api.call("POST", "/api/v1/k8s/pod/restart")).status).toBe(200);
    const after = (await api.call<Status>("GET", "/api/v1/k8s/pod/status")).body.podStatus
      .containerStatuses[0];
    // As a Kubernetes rollout restart: a new start; restart counts are the container's crashes.
    expect(after?.restartCount).toBe(before?.restartCount);
    expect(after?.state.running?.startedAt).not.toBe(before?.state.running?.startedAt);
    await eventually(() => page(url));

    const notices = await api.call<{ list: { noticeType: string }[] }>(
      "GET",
      "/api/v1/k8s/notice?pageSize=10",
    );
    expect(notices.body.list.map((n) => n.noticeType).slice(0, 4)).toEqual([
      "Restarted",
      "Resumed",
      "Paused",
      "Deployed",
    ]);
  });

  it("streams logs with tail and follow, and reports monitor figures from the engine", async () => {
    const { api } = await createService(platform, { units: 2 });
    await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "ticker",
          imageName: "svc-examples/shop-web:1.0",
          resourceUnit: 2,
          command: ["/bin/sh", "-c", 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.3; done'],
        },
      ],
    });
    await eventually(async () => {
      const r = await api.call<string>("GET", "/api/v1/k8s/pod/logs?container=ticker&tail=2");
      return r.body.includes("tick 3") ? true : undefined;
    });
    const tail = await api.call<string>("GET", "/api/v1/k8s/pod/logs?container=ticker&tail=2");
    expect(tail.body.trim().split("\n")).toHaveLength(2);

    const controller = new AbortController();
    const response = await fetch(`${api.url}/api/v1/k8s/pod/logs?container=ticker&follow=true&tail=0`, {
      headers: { secret: api.secret },
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let streamed = "";
    while (!/tick \d+\n[\s\S]*tick \d+\n/.test(streamed)) {
      const { value, done } = await reader.read();
      if (done) break;
      streamed += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(streamed).toMatch(/tick \d+/);

    const monitor = await api.call<{
      cpu: Record<string, { value: number }>;
      memory: Record<string, { value: number; limitValue: number }>;
      networkDownload: { value: number };
    }>("GET", "/api/v1/monitor?allTypes=True&containers=ticker");
    expect(monitor.body.memory.ticker?.limitValue).toBe(2 * UNIT.memoryBytes);
    expect(monitor.body.memory.ticker?.value).toBeGreaterThan(0);
    expect(monitor.body.cpu.ticker?.value).toBeGreaterThanOrEqual(0);
    expect(monitor.body.networkDownload.value).toBeGreaterThanOrEqual(0);
  });

  it("routes domains through the proxy over HTTP and HTTPS (trusting the local CA)", async () => {
    const { api } = await createService(platform, { units: 1 });
    await api.call("POST", "/api/v1/k8s/deployment", helloWeb);
    expect(
      (await api.call("POST", "/api/v1/k8s/pod/ingress", { domain: "hello.plain.test", containerPort: 8080 }))
        .status,
    ).toBe(200);
    expect(
      (
        await api.call("POST", "/api/v1/k8s/pod/ingress", {
          domain: "hello.secure.test",
          containerPort: 8080,
          isLetsencrypt: true,
        })
      ).status,
    ).toBe(200);
    expect(
      await eventually(() => page(`${platform.info.proxyHttp}/`, { host: "hello.plain.test" })),
    ).toContain("Hello from svc");

    const ca = readFileSync(platform.info.caCertificate);
    const httpsPort = Number(new URL(platform.info.proxyHttps).port);
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port: httpsPort,
          path: "/",
          servername: "hello.secure.test",
          headers: { host: "hello.secure.test" },
          ca,
        },
        (res) => {
          let text = "";
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(body).toContain("Hello from svc");

    const status = await api.call<{ domains: { domain: string; isHttps: boolean }[] }>(
      "GET",
      "/api/v1/k8s/pod/status",
    );
    expect(status.body.domains).toEqual([
      { domain: "hello.plain.test", containerPort: 8080, isHttps: false },
      { domain: "hello.secure.test", containerPort: 8080, isHttps: true },
    ]);
    expect(
      (await api.call("PATCH", "/api/v1/k8s/pod/ingress", { action: "Del", domains: ["hello.plain.test"] }))
        .status,
    ).toBe(200);
    expect(await page(`${platform.info.proxyHttp}/`, { host: "hello.plain.test" })).toBeUndefined();
  });

  it("keeps storage across a redeploy", async () => {
    const { api } = await createService(platform, { units: 2, persistStorage: true });
    const deployment = (image: string) => ({
      containers: [
        {
          name: "api",
          imageName: image,
          ports: [{ containerPort: 9000 }],
          envs: [{ name: "DATA_DIR", value: "/data" }],
          mountPath: "/data",
          command: httpd(9000),
        },
      ],
    });
    await api.call("POST", "/api/v1/k8s/deployment", deployment("svc-examples/shop-api:1.0"));
    const url = `http://127.0.0.1:${await hostPort(api, "api")}/cgi-bin/visits`;
    expect((await eventually(() => page(url)))?.trim()).toBe("1");
    expect((await page(url))?.trim()).toBe("2");

    const redeployed = await api.call(
      "POST",
      "/api/v1/k8s/deployment/update",
      deployment("svc-examples/shop-api:2.0"),
    );
    expect(redeployed.status).toBe(200);
    const newUrl = `http://127.0.0.1:${await hostPort(api, "api")}/cgi-bin/visits`;
    expect((await eventually(() => page(newUrl)))?.trim()).toBe("3");
  });

  it("refuses a wrong secret (401) and never shows one service's data to another", async () => {
    const a = await createService(platform, { units: 1 });
    const b = await createService(platform, { units: 1 });
    await a.api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "secretive",
          imageName: "svc-examples/hello:1.0",
          envs: [{ name: "K", value: "only-a" }],
          command: httpd(8080),
        },
      ],
    });
    const wrong = await fetch(`${a.api.url}/api/v1/k8s/userService`, {
      headers: { secret: "not-the-secret" },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: 401, message: "missing or wrong secret" } });
    expect((await fetch(`${a.api.url}/api/v1/k8s/userService`)).status).toBe(401);

    expect((await b.api.call<{ id: string }>("GET", "/api/v1/k8s/userService")).body.id).toBe(b.id);
    const bInfo = await b.api.call("GET", "/api/v1/k8s/deployment/info");
    expect(bInfo.status).toBe(404);
    expect(JSON.stringify(bInfo.body)).not.toContain("only-a");
    expect((await b.api.call("GET", "/api/v1/k8s/pod/logs?container=secretive")).status).toBe(404);
  });

  it("answers 422 when units or ports exceed the budget, 400 for invalid requests", async () => {
    const { api } = await createService(platform, { units: 2 });
    const units = await api.call<{ error: { code: number; message: string } }>(
      "POST",
      "/api/v1/k8s/deployment",
      {
        containers: [{ name: "big", imageName: "svc-examples/hello:1.0", resourceUnit: 4 }],
      },
    );
    expect(units.status).toBe(422);
    expect(units.body.error).toEqual({
      code: 422,
      message: "the containers need 4 units; the service has 2",
    });
    const ports = await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "web",
          imageName: "svc-examples/hello:1.0",
          ports: [{ containerPort: 1 }, { containerPort: 2 }, { containerPort: 3 }],
        },
      ],
    });
    expect(ports.status).toBe(422);
    const hostPortNotAllowed = await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        { name: "web", imageName: "svc-examples/hello:1.0", ports: [{ containerPort: 80, hostPort: 8080 }] },
      ],
    });
    expect(hostPortNotAllowed.status).toBe(422);
    const invalid = await api.call<{ error: { message: string } }>("POST", "/api/v1/k8s/deployment", {
      containers: [{ name: "Bad Name", imageName: "x" }],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toContain("name");
  });

  it("answers 409 for an https change without unbinding and for a stale if-revision", async () => {
    const { api } = await createService(platform, { units: 1 });
    await api.call("POST", "/api/v1/k8s/deployment", helloWeb);
    await api.call("POST", "/api/v1/k8s/pod/ingress", {
      domain: "a.rule.test",
      containerPort: 8080,
      isLetsencrypt: false,
    });
    const flip = await api.call("POST", "/api/v1/k8s/pod/ingress", {
      domain: "b.rule.test",
      containerPort: 8080,
      isLetsencrypt: true,
    });
    expect(flip.status).toBe(409);
    const inherit = await api.call("POST", "/api/v1/k8s/pod/ingress", {
      domain: "b.rule.test",
      containerPort: 8080,
    });
    expect(inherit.status).toBe(200);
    expect((await api.call("DELETE", "/api/v1/k8s/pod/ingress")).status).toBe(200);
    expect(
      (
        await api.call("POST", "/api/v1/k8s/pod/ingress", {
          domain: "a.rule.test",
          containerPort: 8080,
          isLetsencrypt: true,
        })
      ).status,
    ).toBe(200);

    const { revision } = (await api.call<{ revision: number }>("GET", "/api/v1/k8s/userService")).body;
    const stale = await api.call(
      "POST",
      "/api/v1/k8s/deployment/metadata/annotation",
      { description: "late" },
      { "if-revision": String(revision - 1) },
    );
    expect(stale.status).toBe(409);
    const fresh = await api.call<{ revision: number }>(
      "POST",
      "/api/v1/k8s/deployment/metadata/annotation",
      { description: "on time" },
      { "if-revision": String(revision) },
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body.revision).toBe(revision + 1);
    expect((await api.call<{ description: string }>("GET", "/api/v1/k8s/userService")).body.description).toBe(
      "on time",
    );
  });

  it("checks ports and image availability for preflight", async () => {
    const { api } = await createService(platform, { units: 1, specifiedPort: true });
    const other = await createService(platform, { units: 1, specifiedPort: true });
    // In this worker's own range (suites run in parallel), at its top, above any port assigned here.
    const taken = workerPortRange()[1];
    await other.api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "web",
          imageName: "svc-examples/hello:1.0",
          ports: [{ containerPort: 8080, hostPort: taken }],
          command: httpd(8080),
        },
      ],
    });
    const { id } = (await api.call<{ id: string }>("GET", "/api/v1/k8s/userService")).body;
    const check = (port: number) =>
      api.call<{ status: string }>("POST", "/api/v1/k8s/checkports", {
        region: "local",
        ports: [port],
        userServiceID: id,
      });
    expect((await check(taken)).body.status).toBe("Occupied");
    const free = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    expect((await check(free)).body.status).toBe("NotOccupied");
    const conflict = await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "web",
          imageName: "svc-examples/hello:1.0",
          ports: [{ containerPort: 8080, hostPort: taken }],
        },
      ],
    });
    expect(conflict.status).toBe(409);
    expect((await api.call("GET", "/api/v1/k8s/images?image=svc-examples/hello&tag=1.0")).status).toBe(200);
    expect((await api.call("GET", "/api/v1/k8s/images?image=svc-examples/nope&tag=1.0")).status).toBe(404);
  });

  it("records a crash of a container as a notice and reports it crash-looping", async () => {
    const { api } = await createService(platform, { units: 1 });
    await api.call("POST", "/api/v1/k8s/deployment", {
      containers: [
        {
          name: "crasher",
          imageName: "svc-examples/hello:1.0",
          command: ["/bin/sh", "-c", "echo boom; exit 3"],
        },
      ],
    });
    await eventually(async () => {
      const n = await api.call<{ list: { noticeType: string; message: string }[] }>(
        "GET",
        "/api/v1/k8s/notice",
      );
      return n.body.list.find((x) => x.noticeType === "Crashed" && x.message.includes("code 3"));
    });
    const logs = await api.call<string>("GET", "/api/v1/k8s/pod/logs?container=crasher&follow=false");
    expect(logs.body).toContain("boom");
    const containers = await docker.listContainers({
      all: true,
      filters: { label: ["dev.svc.container=crasher"] },
    });
    expect(containers.length).toBeGreaterThan(0);
  });
});
