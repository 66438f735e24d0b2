import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerInfo } from "../src/local/paths.js";
import { localPaths } from "../src/local/paths.js";
import { svc } from "./support/cli.js";
import { docker, engineAvailable, ensureExampleImages } from "./support/engine.js";
import { eventually, page, ServiceApi, workerPortRange } from "./support/local-platform.js";
import { expectMatchesSchema } from "./support/schemas.js";

const hasEngine = await engineAvailable("the local platform lifecycle suite");
const bin = new URL("../bin/run.js", import.meta.url).pathname;
const hello = (version: string) => ({
  containers: [
    {
      name: "web",
      imageName: `svc-examples/hello:${version}`,
      ports: [{ containerPort: 8080 }],
      command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
    },
  ],
});

/** Ephemeral listeners and this worker's host-port range: tests never collide on ports. */
function listenerFlags(): string[] {
  const [low, high] = workerPortRange();
  return ["--port", "0", "--http-port", "0", "--https-port", "0", "--host-ports", `${low + 50}-${high}`];
}

/** `svc local serve` as its own process, so it can be killed like a real one. */
function serve(home: string): ChildProcess {
  return spawn(process.execPath, [bin, "local", "serve", ...listenerFlags()], {
    env: { ...process.env, SVC_HOME: home },
    stdio: "ignore",
  });
}

async function serverInfo(home: string, pid: number): Promise<ServerInfo> {
  return eventually(async () => {
    const info = JSON.parse(readFileSync(localPaths({ SVC_HOME: home }).server, "utf8")) as ServerInfo;
    return info.pid === pid && (await fetch(`${info.apiUrl}/healthz`)).ok ? info : undefined;
  }, 30_000);
}

async function admin(home: string, info: ServerInfo, body: object): Promise<{ id: string; token: string }> {
  const token = readFileSync(localPaths({ SVC_HOME: home }).adminToken, "utf8");
  const r = await fetch(`${info.apiUrl}/admin/v1/services`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await r.json()) as { id: string; token: string };
}

describe.skipIf(!hasEngine)("the local platform as a process", () => {
  beforeAll(ensureExampleImages, 120_000);
  const children: ChildProcess[] = [];
  const upHomes: string[] = [];
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
    // A failed assertion must not leave a detached platform running.
    for (const home of upHomes) svc(["local", "down"], { env: { SVC_HOME: home } });
  });

  it("survives kill -9 mid-deploy: records intact, engine reconciled, strays removed", async () => {
    const home = mkdtempSync(join(tmpdir(), "svc-kill-"));
    const first = serve(home);
    children.push(first);
    const info = await serverInfo(home, first.pid as number);
    const { id, token } = await admin(home, info, { units: 2 });
    const api = new ServiceApi(token);
    expect((await api.call("POST", "/api/v1/k8s/deployment", hello("1.0"))).status).toBe(200);
    const port = (
      await api.call<{ containers: { ports: { hostPort: number }[] }[] }>(
        "GET",
        "/api/v1/k8s/deployment/info",
      )
    ).body.containers[0]?.ports[0]?.hostPort;
    expect(await eventually(() => page(`http://127.0.0.1:${port}/`))).toContain("version 1.0");
    const instance = readFileSync(localPaths({ SVC_HOME: home }).instanceId, "utf8");

    // A stray container labelled as this platform's, which no record explains.
    const stray = await docker.createContainer({
      Image: "svc-examples/hello:1.0",
      Cmd: ["sleep", "600"],
      Labels: { "dev.svc.instance": instance, "dev.svc.service": "ghost", "dev.svc.role": "app" },
    });
    await stray.start();

    // Kill the server while an update is in flight.
    const inFlight = api.call("POST", "/api/v1/k8s/deployment/update", hello("2.0")).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 30));
    first.kill("SIGKILL");
    await inFlight;

    const second = serve(home);
    children.push(second);
    const info2 = await serverInfo(home, second.pid as number);
    // The token names the old address (ephemeral port); the same secret works at the new one.
    const api2 = api.at(info2.apiUrl, token);
    const get = async <T>(path: string) => (await api2.call<T>("GET", path)).body;

    const service = await get<{ id: string; status: string; revision: number }>("/api/v1/k8s/userService");
    expect(service).toMatchObject({ id, status: "ServiceRunning" });
    const deployed = await get<{ containers: { imageName: string; ports: { hostPort: number }[] }[] }>(
      "/api/v1/k8s/deployment/info",
    );
    const recorded = deployed.containers[0]?.imageName as string;
    expect(["svc-examples/hello:1.0", "svc-examples/hello:2.0"]).toContain(recorded);
    // Whatever the record says is what runs.
    const version = recorded.endsWith("2.0") ? "version 2.0" : "version 1.0";
    const hostPort = deployed.containers[0]?.ports[0]?.hostPort;
    expect(await eventually(() => page(`http://127.0.0.1:${hostPort}/`))).toContain(version);
    await expect(stray.inspect()).rejects.toThrow();
    const ours = await docker.listContainers({
      all: true,
      filters: { label: [`dev.svc.instance=${instance}`] },
    });
    expect(ours.map((c) => c.Labels["dev.svc.role"]).sort()).toEqual(["app", "pod"]);

    second.kill("SIGTERM");
    await new Promise((r) => second.once("exit", r));
    expect(
      await docker.listContainers({ all: true, filters: { label: [`dev.svc.instance=${instance}`] } }),
    ).toEqual([]);
  }, 120_000);

  it("svc local up / status / down: a deployment with the saved token serves HTTP, down stops everything", async () => {
    const home = mkdtempSync(join(tmpdir(), "svc-up-"));
    upHomes.push(home);
    // No session bus: no keychain, so the token must go to a 0600 file and never to output.
    const env = { SVC_HOME: home, DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent" };
    const up = svc(["local", "up", "--json", ...listenerFlags()], { env });
    expect(up.stderr).toBe("");
    expect(up.status).toBe(0);
    expectMatchesSchema("local-up-result.schema.json", JSON.parse(up.stdout));
    const result = JSON.parse(up.stdout) as {
      server: ServerInfo;
      service: { id: string; created: boolean; token: { keychain: boolean; file: string } };
    };
    expect(result.service).toMatchObject({ id: "local", created: true, token: { keychain: false } });
    expect(statSync(result.service.token.file).mode & 0o777).toBe(0o600);
    const token = readFileSync(result.service.token.file, "utf8").trim();
    expect(up.stdout).not.toContain(token);

    const status = svc(["local", "status"], { env });
    expect(status.status).toBe(0);
    expect(status.stdout).toContain(`API        ${result.server.apiUrl}`);
    expect(status.stdout).toContain(`HTTP       ${result.server.proxyHttp}`);
    expect(status.stdout).toContain(`CA cert    ${result.server.caCertificate}`);
    expect(status.stdout).toMatch(/service {4}local {2}ServicePending {2}8-Unit-Resource/);

    // With no keychain and no SVC_TOKEN_LOCAL, svc finds the token in that file, like a kubeconfig.
    const targets = svc(["targets", "--json"], { env });
    expectMatchesSchema("targets-result.schema.json", JSON.parse(targets.stdout));
    expect(JSON.parse(targets.stdout).targets).toMatchObject([
      { name: "local", source: "local-file", host: result.server.apiUrl, serviceId: "local" },
    ]);
    const planned = svc(["plan", "examples/hello"], { env });
    expect(planned.stderr).not.toContain("no token");
    expect(planned.status).toBe(0);
    expect(planned.stdout).toContain("+ hello (target local) will be created");
    expect(`${targets.stdout}${planned.stdout}${planned.stderr}`).not.toContain(token);

    const api = new ServiceApi(token);
    const deployment = {
      containers: [{ ...hello("1.0").containers[0], mountPath: "/data" }],
    };
    expect((await api.call("POST", "/api/v1/k8s/deployment", deployment)).status).toBe(200);
    const info = await api.call<{ containers: { ports: { hostPort: number }[] }[] }>(
      "GET",
      "/api/v1/k8s/deployment/info",
    );
    const port = info.body.containers[0]?.ports[0]?.hostPort;
    expect(await eventually(() => page(`http://127.0.0.1:${port}/`))).toContain("Hello from svc");

    // Each domain with a curl line that reaches it as printed: no DNS, no /etc/hosts.
    await api.call("POST", "/api/v1/k8s/pod/ingress", { domain: "hello.plain.test", containerPort: 8080 });
    await api.call("POST", "/api/v1/k8s/pod/ingress", {
      domain: "hello.secure.test",
      containerPort: 8080,
      isLetsencrypt: true,
    });
    const withDomains = svc(["local", "status"], { env });
    const curls = withDomains.stdout
      .split("\n")
      .filter((l) => l.includes(".test: curl "))
      .map((l) => l.trim());
    const httpsPort = new URL(result.server.proxyHttps).port;
    expect(curls).toEqual([
      `hello.plain.test: curl --resolve hello.plain.test:${new URL(result.server.proxyHttp).port}:127.0.0.1 http://hello.plain.test:${new URL(result.server.proxyHttp).port}/`,
      `hello.secure.test: curl --resolve hello.secure.test:${httpsPort}:127.0.0.1 --cacert ${result.server.caCertificate} https://hello.secure.test:${httpsPort}/`,
    ]);
    for (const line of curls) {
      const command = line.slice(line.indexOf("curl ")).split(" ");
      const fetched = await eventually(async () => {
        const r = spawnSync(command[0] as string, ["-fsS", ...command.slice(1)], { encoding: "utf8" });
        return r.status === 0 ? r.stdout : undefined;
      });
      expect(fetched).toContain("Hello from svc");
    }

    const statusJson = svc(["local", "status", "--json"], { env });
    expectMatchesSchema("local-status-result.schema.json", JSON.parse(statusJson.stdout));
    const created = svc(["local", "create-service", "--units", "1", "--name", "extra", "--json"], { env });
    expect(created.status, created.stderr).toBe(0);
    expectMatchesSchema("local-create-service-result.schema.json", JSON.parse(created.stdout));
    expect(JSON.parse(created.stdout)).toMatchObject({ id: "extra", token: { keychain: false } });

    const again = svc(["local", "up", "--json"], { env });
    expectMatchesSchema("local-up-result.schema.json", JSON.parse(again.stdout));
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyRunning: true, service: { created: false } });

    const instance = readFileSync(localPaths(env).instanceId, "utf8");
    const down = svc(["local", "down", "--json"], { env });
    expect(down.status).toBe(0);
    expectMatchesSchema("local-down-result.schema.json", JSON.parse(down.stdout));
    expect(JSON.parse(down.stdout)).toMatchObject({ stopped: true });
    expect(
      await docker.listContainers({ all: true, filters: { label: [`dev.svc.instance=${instance}`] } }),
    ).toEqual([]);
    expect(svc(["local", "status"], { env }).stdout).toContain("not running");
  }, 120_000);
});
